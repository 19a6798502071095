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
 * An event as the hot path records it: the parts that repeat (who: per session; what: per statement shape) are
 * JSON fragments built once and shared, so that recording allocates one small object and writing one spool line
 * is string concatenation. The id and the ISO time are filled in when the batch is written.
 */
export class RecordedEvent {
  constructor(
    /** Unix ms when the statement was sent (or refused). */
    readonly at: number,
    /** `"virtualDatabase":…,"credential":…,"clientAddress":…,"applicationName":…` */
    readonly whoJson: string,
    /** `"statement":…,"fingerprint":…,"kind":…,"tables":[…]` */
    readonly whatJson: string,
    readonly decision: "allowed" | "denied",
    readonly rule: string | null,
    readonly backend: string | null,
    readonly durationUs: number | null,
    readonly rows: number | null,
    readonly sqlstate: string | null,
  ) {}

  /** One spool line (no newline), the AuditEvent of PROTOCOL.md. */
  toJsonLine(id: string, occurredAt: string): string {
    return (
      `{"id":"${id}","occurredAt":"${occurredAt}",${this.whoJson},${this.whatJson},"decision":"${this.decision}",` +
      `"rule":${jsonOrNull(this.rule)},"backend":${jsonOrNull(this.backend)},"durationUs":${this.durationUs ?? "null"},` +
      `"rows":${this.rows ?? "null"},"sqlstate":${jsonOrNull(this.sqlstate)}}`
    );
  }
}

/** Names (rules, backends) and SQLSTATEs need no escaping; anything else goes through JSON.stringify. */
const PLAIN = /^[\w.:-]*$/;

function jsonOrNull(s: string | null): string {
  if (s === null) return "null";
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}
