// Values under these keys never reach the audit log, whatever object they sit in.
const SECRET_KEYS = /^(password|passwordEnc|passwordHash|password_enc|password_hash|token|tokenHash|secret|totpSecret|totpSecretEnc)$/i;

/** A JSON-safe deep copy with secrets replaced by "[redacted]" (BigInt and Date become strings). */
export function redact(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      out[k] = SECRET_KEYS.test(k) ? (v === null ? null : "[redacted]") : redact(v);
    }
    return out;
  }
  return value;
}
