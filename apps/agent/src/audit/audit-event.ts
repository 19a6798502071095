// One SQL audit event, exactly as POST /api/agent/v1/audit takes it (PROTOCOL.md). The id is assigned when the
// event is written to the spool.

export interface AuditTable {
  schema: string | null;
  name: string;
  operation: string;
}

export interface AuditEvent {
  id: string;
  occurredAt: string;
  virtualDatabase: string;
  credential: string;
  clientAddress: string | null;
  applicationName: string | null;
  statement: string;
  fingerprint: string;
  kind: string;
  tables: readonly AuditTable[];
  decision: "allowed" | "denied";
  rule: string | null;
  backend: string | null;
  durationUs: number | null;
  rows: number | null;
  sqlstate: string | null;
}

/** The control plane refuses longer statement texts. */
export const MAX_STATEMENT_CHARS = 100_000;

/**
 * An event as the hot path records it. What repeats — who (per session) and what (per statement shape), the
 * decision, rule and backend — is one UTF-8 fragment (eventMiddle), encoded once and shared by a session's events
 * of one shape, so that writing a spool line copies bytes instead of concatenating and re-encoding ~450
 * characters per event (SpoolLineWriter, which also fills in the id and the ISO time). The write(2) spool batches
 * these; a mapped one writes the parts at once and makes none (AuditRecorder.recordParts).
 */
export class RecordedEvent {
  constructor(
    /** Unix ms when the statement was sent (or refused). */
    readonly at: number,
    /** eventMiddle(): everything between `"occurredAt":"…"` and the duration. */
    readonly middle: Buffer,
    readonly durationUs: number | null,
    readonly rows: number | null,
    readonly sqlstate: string | null,
  ) {}

  /**
   * One spool line (no newline), the AuditEvent of PROTOCOL.md, built the plain way with strings: what the tests
   * hold SpoolLineWriter's bytes to.
   */
  toJsonLine(id: string, occurredAt: string): string {
    const tail = `${this.durationUs ?? "null"},"rows":${this.rows ?? "null"},"sqlstate":${jsonOrNull(this.sqlstate)}}`;
    return `{"id":"${id}","occurredAt":"${occurredAt}"${this.middle.toString("utf8")}${tail}`;
  }
}

/**
 * `,"virtualDatabase":…,"applicationName":…,"statement":…,"tables":[…],"decision":…,"rule":…,"backend":…,"durationUs":`
 * in UTF-8: `whoJson` and `whatJson` are JSON object members (no braces).
 */
export function eventMiddle(whoJson: string, whatJson: string, decision: "allowed" | "denied", rule: string | null, backend: string | null): Buffer {
  return Buffer.from(`,${whoJson},${whatJson},"decision":"${decision}","rule":${jsonOrNull(rule)},"backend":${jsonOrNull(backend)},"durationUs":`, "utf8");
}

/** Names (rules, backends) and SQLSTATEs need no escaping; anything else goes through JSON.stringify. */
const PLAIN = /^[\w.:-]*$/;

function jsonOrNull(s: string | null): string {
  if (s === null) return "null";
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}
