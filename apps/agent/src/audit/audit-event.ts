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

const NO_REF = Buffer.alloc(0);

/**
 * What a statement shape's events share — who (per session) and what (per statement shape), the decision, rule
 * and backend — as the members of one JSON object in UTF-8, encoded once. The spool carries it once per segment,
 * as a shared part (`{"part":N,…}`, PROTOCOL.md "Shared parts"), and each event names it: SpoolLineWriter writes
 * the part's line before the first event of a segment that needs it.
 */
export class EventPart {
  /** The spool segment (AuditSpool.segmentSerial) whose lines define this part, and its number there. */
  segment = -1;
  number = 0;
  /** `Z","part":<number>,"durationUs":`, what an event's line has between its time and its duration (line-writer.ts). */
  ref: Buffer = NO_REF;

  constructor(
    /** `"virtualDatabase":…,"backend":…`: the members, without braces. */
    readonly json: Buffer,
  ) {}
}

/**
 * An event as the hot path records it: its part, and what is its own. The write(2) spool batches these; a mapped
 * one writes the parts at once and makes none (AuditRecorder.recordParts).
 */
export class RecordedEvent {
  constructor(
    /** Unix ms when the statement was sent (or refused). */
    readonly at: number,
    readonly part: EventPart,
    readonly durationUs: number | null,
    readonly rows: number | null,
    readonly sqlstate: string | null,
  ) {}

  /**
   * The whole AuditEvent of PROTOCOL.md (no shared part) as one JSON line without its newline, built the plain way
   * with strings: what the tests hold the spool's resolved lines to.
   */
  toJsonLine(id: string, occurredAt: string): string {
    const tail = `"durationUs":${this.durationUs ?? "null"},"rows":${this.rows ?? "null"},"sqlstate":${jsonOrNull(this.sqlstate)}}`;
    return `{"id":"${id}","occurredAt":"${occurredAt}",${this.part.json.toString("utf8")},${tail}`;
  }
}

/**
 * The shared part `"virtualDatabase":…,"applicationName":…,"statement":…,"tables":[…],"decision":…,"rule":…,"backend":…`:
 * `whoJson` and `whatJson` are JSON object members (no braces).
 */
export function eventPart(whoJson: string, whatJson: string, decision: "allowed" | "denied", rule: string | null, backend: string | null): EventPart {
  return new EventPart(Buffer.from(`${whoJson},${whatJson},"decision":"${decision}","rule":${jsonOrNull(rule)},"backend":${jsonOrNull(backend)}`, "utf8"));
}

/** Names (rules, backends) and SQLSTATEs need no escaping; anything else goes through JSON.stringify. */
const PLAIN = /^[\w.:-]*$/;

function jsonOrNull(s: string | null): string {
  if (s === null) return "null";
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}
