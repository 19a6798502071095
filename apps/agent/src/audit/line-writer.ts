import type { EventPart } from "./audit-event";
import { EventIdGenerator } from "./event-id";

// Writes an event's spool lines as bytes, from what the hot path has: the event's shared part (EventPart) and a
// few numbers. The part's line goes first when the segment does not hold it yet; then the event's own line names
// it (PROTOCOL.md, "Shared parts"):
//
//   {"part":<n>,<part's members>}\n                                    once per part and segment
//   {"id":"<prefix>7ccc<suffix>","occurredAt":"<ISO time>","part":<n>,"durationUs":<d>,"rows":<r>,"sqlstate":<s>}\n
//
// An event's own line is ~130 bytes where a whole event took ~450: what every event costs in the spool's pages,
// its fdatasync, the sender's read and the request was mostly the part, repeated.
//
// Nothing per event goes through a string: the id is kept as bytes for the current millisecond with only its
// counter digits patched in, the time as bytes for the current second with only its milliseconds written, and
// the numbers and SQLSTATE digit by digit. Building those strings and encoding them cost about as much as the
// rest of recording (perf of a governed agent: string concatenation, number-to-string, flattening).

const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");
const ID_START = '{"id":"'.length;
/** Where the counter's three hex digits sit in the head: after the prefix (14 characters) and the version 7. */
const COUNTER_AT = ID_START + 15;
/** Where the ISO time starts in the head: after the id (36 characters) and `","occurredAt":"`. */
const ISO_AT = ID_START + 36 + '","occurredAt":"'.length;
const PART_HEAD = Buffer.from('{"part":', "latin1");
/** What follows an event's milliseconds up to its part's number (see EventPart.ref). */
const PART_REF = 'Z","part":';
const DURATION = ',"durationUs":';
const ROWS = Buffer.from(',"rows":', "latin1");
const SQLSTATE = Buffer.from(',"sqlstate":', "latin1");
/** The usual end of a line: no SQLSTATE. */
const NO_SQLSTATE_END = Buffer.from(',"sqlstate":null}\n', "latin1");
const NULL = Buffer.from("null", "latin1");
/** Digits of a safe integer, with a sign. */
const MAX_NUMBER_BYTES = 17;
/** SQLSTATEs are five ASCII letters and digits; anything else a server sent goes through JSON.stringify. */
const PLAIN_SQLSTATE = /^[0-9A-Z]{5}$/;

export class SpoolLineWriter {
  private readonly ids = new EventIdGenerator();
  /**
   * `{"id":"<id>","occurredAt":"YYYY-MM-DDTHH:MM:SS.`, copied whole into each line: the id's millisecond and
   * counter digits and the time's second are rewritten in place when they change.
   */
  private head: Buffer = Buffer.alloc(0);
  private idSuffixStamp = -1;
  private idMs = -1;
  /** The second (Unix seconds) of the time in the head. */
  private isoSecond = Number.NaN;
  private counter = 0;
  /** A SQLSTATE that needs escaping, JSON-encoded (rare: a server's own code that is not five ASCII characters). */
  private oddSqlstate: Buffer | null = null;
  /** Parts numbered so far in segment `partsSegment`. */
  private parts = 0;
  private partsSegment = -1;

  /**
   * Takes the next event id (at `now`, Unix ms) for an event that occurred at `atMs`, and returns how many bytes
   * its lines take at most (its part's line included); write() then writes them. Events complete out of the order
   * they started in, so the head's two times are kept apart: the id's millisecond is the generator's, the
   * time's second the event's.
   */
  prepare(now: number, atMs: number, part: EventPart, sqlstate: string | null): number {
    const ids = this.ids;
    this.counter = ids.nextCounter(now);
    const second = Math.floor(atMs / 1000);
    if (ids.suffixStamp !== this.idSuffixStamp) {
      this.idSuffixStamp = ids.suffixStamp;
      this.newHead(ids.suffix, second);
    } else if (second !== this.isoSecond) {
      const iso = isoSecondOf(second);
      // Years 0 to 9999 keep the head's length: only the time's bytes change.
      if (iso.length === this.head.length - ISO_AT) this.head.write(iso, ISO_AT, "latin1");
      else this.newHead(ids.suffix, second);
      this.isoSecond = second;
    }
    if (ids.ms !== this.idMs) {
      this.idMs = ids.ms;
      writeIdMs(this.head, ids.ms);
    }
    this.oddSqlstate = sqlstate !== null && !PLAIN_SQLSTATE.test(sqlstate) ? Buffer.from(JSON.stringify(sqlstate), "utf8") : null;
    return this.head.length + 3 + maxOwnBytes(part, this.oddSqlstate?.length ?? 7);
  }

  /**
   * Writes the prepared event's lines at out[at …] for segment `segment` (AuditSpool.segmentSerial): its part's
   * line first when that segment does not define it yet. Returns where they end.
   */
  write(out: Buffer, at: number, segment: number, atMs: number, part: EventPart, durationUs: number | null, rows: number | null, sqlstate: string | null): number {
    if (part.segment !== segment) at = this.writePart(out, at, segment, part);
    const head = this.head;
    const c = this.counter;
    head[COUNTER_AT] = HEX_DIGITS[c >>> 8] as number;
    head[COUNTER_AT + 1] = HEX_DIGITS[(c >>> 4) & 0xf] as number;
    head[COUNTER_AT + 2] = HEX_DIGITS[c & 0xf] as number;
    // One copy of the ~80 bytes every line starts with: a native copy beats a loop this long.
    out.set(head, at);
    let end = at + head.length;
    const ms = atMs - this.isoSecond * 1000;
    out[end++] = 0x30 + Math.floor(ms / 100);
    out[end++] = 0x30 + (Math.floor(ms / 10) % 10);
    out[end++] = 0x30 + (ms % 10);
    end = copySmall(out, end, part.ref);
    end = writeNumberOrNull(out, end, durationUs);
    end = copySmall(out, end, ROWS);
    end = writeNumberOrNull(out, end, rows);
    if (sqlstate === null) return copySmall(out, end, NO_SQLSTATE_END);
    end = copySmall(out, end, SQLSTATE);
    if (this.oddSqlstate !== null) end = copySmall(out, end, this.oddSqlstate);
    else {
      out[end++] = 0x22;
      for (let i = 0; i < 5; i++) out[end++] = sqlstate.charCodeAt(i);
      out[end++] = 0x22;
    }
    out[end++] = 0x7d; // }
    out[end++] = 0x0a;
    return end;
  }

  private newHead(suffix: string, second: number): void {
    this.head = Buffer.from(`{"id":"00000000-0000-7000${suffix}","occurredAt":"${isoSecondOf(second)}`, "latin1");
    this.isoSecond = second;
    this.idMs = -1;
  }

  /** `{"part":<n>,<members>}` and a newline, numbering the part in `segment`. */
  private writePart(out: Buffer, at: number, segment: number, part: EventPart): number {
    if (this.partsSegment !== segment) {
      this.partsSegment = segment;
      this.parts = 0;
    }
    part.segment = segment;
    part.number = this.parts++;
    part.ref = Buffer.from(`${PART_REF}${part.number}${DURATION}`, "latin1");
    let end = copySmall(out, at, PART_HEAD);
    end = writeNumberOrNull(out, end, part.number);
    out[end++] = 0x2c; // ,
    out.set(part.json, end);
    end += part.json.length;
    out[end++] = 0x7d; // }
    out[end++] = 0x0a;
    return end;
  }
}

/** `YYYY-MM-DDTHH:MM:SS.` of a Unix second (longer past the year 9999). */
function isoSecondOf(second: number): string {
  return new Date(second * 1000).toISOString().slice(0, -4);
}

/**
 * The most bytes an event's lines take, its part's line always counted: a bound before the id is taken
 * (AuditRecorder's write(2) batches, sized before they are encoded).
 */
export function maxLineBytes(part: EventPart, sqlstate: string | null): number {
  const sqlstateBytes = sqlstate === null || PLAIN_SQLSTATE.test(sqlstate) ? 7 : Buffer.byteLength(JSON.stringify(sqlstate));
  return MAX_HEAD_BYTES + maxOwnBytes(part, sqlstateBytes);
}

/** `{"id":"<36 characters>","occurredAt":"<ISO time>"`: 7 + 36 + 16 + 25, or 28 for a year past 9999; rounded up. */
const MAX_HEAD_BYTES = 96;

function maxOwnBytes(part: EventPart, sqlstateBytes: number): number {
  const partLine = PART_HEAD.length + MAX_NUMBER_BYTES + 1 + part.json.length + 2;
  return partLine + PART_REF.length + MAX_NUMBER_BYTES + DURATION.length + MAX_NUMBER_BYTES + ROWS.length + MAX_NUMBER_BYTES + SQLSTATE.length + sqlstateBytes + 2;
}

/** The 48-bit millisecond of an id as `xxxxxxxx-xxxx` at its start in head. */
function writeIdMs(head: Buffer, ms: number): void {
  const hi = Math.floor(ms / 0x10000);
  const lo = ms & 0xffff;
  for (let i = 0; i < 8; i++) head[ID_START + i] = HEX_DIGITS[(hi >>> (28 - 4 * i)) & 0xf] as number;
  for (let i = 0; i < 4; i++) head[ID_START + 9 + i] = HEX_DIGITS[(lo >>> (12 - 4 * i)) & 0xf] as number;
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
