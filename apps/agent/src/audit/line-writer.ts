import { EventIdGenerator } from "./event-id";

// Writes one spool line — the AuditEvent JSON of PROTOCOL.md and a newline — as bytes, from the parts the hot path
// has: the shared UTF-8 fragment of the session's statement shape (eventMiddle) and a few numbers. Nothing per
// event goes through a string: the head (id and time) is kept as bytes for the current millisecond with only
// the id's counter digits patched in, and the duration, rows and SQLSTATE are written digit by digit. Building
// those strings and encoding them cost about as much as the rest of recording (perf of a governed agent:
// string concatenation, number-to-string, flattening).
//
//   {"id":"<prefix>7ccc<suffix>","occurredAt":"<ISO time>"<middle><durationUs>,"rows":<rows>,"sqlstate":<s>}\n

const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");
const ID_START = '{"id":"'.length;
/** Where the counter's three hex digits sit in the head: after the prefix (14 characters) and the version 7. */
const COUNTER_AT = ID_START + 15;
const ROWS = Buffer.from(',"rows":', "latin1");
const SQLSTATE = Buffer.from(',"sqlstate":', "latin1");
const NULL = Buffer.from("null", "latin1");
/** Digits of a safe integer, with a sign. */
const MAX_NUMBER_BYTES = 17;
/** SQLSTATEs are five ASCII letters and digits; anything else a server sent goes through JSON.stringify. */
const PLAIN_SQLSTATE = /^[0-9A-Z]{5}$/;

export class SpoolLineWriter {
  private readonly ids = new EventIdGenerator();
  private head: Buffer = Buffer.alloc(0);
  private headStamp = -1;
  private headAtMs = -1;
  private counter = 0;
  /** A SQLSTATE that needs escaping, JSON-encoded (rare: a server's own code that is not five ASCII characters). */
  private oddSqlstate: Buffer | null = null;

  /**
   * Takes the next event id (at `now`, Unix ms) for an event that occurred at `atMs`, and returns how many bytes
   * its line takes at most; write() then writes it.
   */
  prepare(now: number, atMs: number, middle: Buffer, sqlstate: string | null): number {
    this.counter = this.ids.nextCounter(now);
    if (this.ids.stamp !== this.headStamp || atMs !== this.headAtMs) {
      this.headStamp = this.ids.stamp;
      this.headAtMs = atMs;
      this.head = Buffer.from(`{"id":"${this.ids.prefix}7000${this.ids.suffix}","occurredAt":"${new Date(atMs).toISOString()}"`, "latin1");
    }
    this.oddSqlstate = sqlstate !== null && !PLAIN_SQLSTATE.test(sqlstate) ? Buffer.from(JSON.stringify(sqlstate), "utf8") : null;
    const sqlstateBytes = this.oddSqlstate?.length ?? 7;
    return this.head.length + middle.length + MAX_NUMBER_BYTES + ROWS.length + MAX_NUMBER_BYTES + SQLSTATE.length + sqlstateBytes + 2;
  }

  /** Writes the prepared line at out[at …]; returns where it ends. */
  write(out: Buffer, at: number, middle: Buffer, durationUs: number | null, rows: number | null, sqlstate: string | null): number {
    const head = this.head;
    out.set(head, at);
    const c = this.counter;
    out[at + COUNTER_AT] = HEX_DIGITS[c >>> 8] as number;
    out[at + COUNTER_AT + 1] = HEX_DIGITS[(c >>> 4) & 0xf] as number;
    out[at + COUNTER_AT + 2] = HEX_DIGITS[c & 0xf] as number;
    let end = at + head.length;
    out.set(middle, end);
    end += middle.length;
    end = writeNumberOrNull(out, end, durationUs);
    end = copySmall(out, end, ROWS);
    end = writeNumberOrNull(out, end, rows);
    end = copySmall(out, end, SQLSTATE);
    if (sqlstate === null) end = copySmall(out, end, NULL);
    else if (this.oddSqlstate !== null) end = copySmall(out, end, this.oddSqlstate);
    else {
      out[end++] = 0x22;
      for (let i = 0; i < 5; i++) out[end++] = sqlstate.charCodeAt(i);
      out[end++] = 0x22;
    }
    out[end++] = 0x7d; // }
    out[end++] = 0x0a;
    return end;
  }
}

/** A short constant: a loop beats a call into TypedArray.prototype.set for a dozen bytes. */
function copySmall(out: Buffer, at: number, bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) out[at + i] = bytes[i] as number;
  return at + bytes.length;
}

/** A safe integer in decimal, or `null`. */
function writeNumberOrNull(out: Buffer, at: number, n: number | null): number {
  if (n === null || !Number.isSafeInteger(n)) return copySmall(out, at, NULL);
  let v = n;
  if (v < 0) {
    out[at++] = 0x2d;
    v = -v;
  }
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  return at + digits;
}
