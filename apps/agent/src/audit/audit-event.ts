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
 * of one shape, so that recording allocates one small object and writing a spool line copies bytes instead of
 * concatenating and re-encoding ~450 characters per event. The id and the ISO time are filled in when the batch
 * is written.
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

  /** What follows the middle: the duration, rows, SQLSTATE and the closing brace (no newline). */
  tail(): string {
    return `${this.durationUs ?? "null"},"rows":${this.rows ?? "null"},"sqlstate":${jsonOrNull(this.sqlstate)}}`;
  }

  /** One spool line (no newline), the AuditEvent of PROTOCOL.md. */
  toJsonLine(id: string, occurredAt: string): string {
    return `${lineHead(id, occurredAt)}${this.middle.toString("utf8")}${this.tail()}`;
  }
}

/** `{"id":"…","occurredAt":"…"`: ASCII (a UUID and an ISO time), so one byte per character. */
export function lineHead(id: string, occurredAt: string): string {
  return `{"id":"${id}","occurredAt":"${occurredAt}"`;
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
