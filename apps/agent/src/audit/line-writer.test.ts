import { resolveAuditParts } from "@dbmesh/mesh";
import { describe, expect, it } from "vitest";
import { type EventPart, eventPart, RecordedEvent } from "./audit-event";
import { SpoolLineWriter } from "./line-writer";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const WHO = '"virtualDatabase":"v","credential":"c","clientAddress":null,"applicationName":"ü"';
const part = eventPart(WHO, '"statement":"SELECT $1","fingerprint":"0000000000000000","kind":"select","tables":[]', "allowed", null, "pg");

/** The lines one event's write() gives (its part's line first, when written), checking it stays in its bounds. */
function linesOf(w: SpoolLineWriter, segment: number, now: number, at: number, durationUs: number | null, rows: number | null, sqlstate: string | null, p: EventPart = part): string[] {
  const out = Buffer.alloc(w.prepare(now, at, p, sqlstate) + 8, 0xff);
  const end = w.write(out, 4, segment, at, p, durationUs, rows, sqlstate);
  expect(out[3]).toBe(0xff); // nothing before
  expect(out[end]).toBe(0xff); // nor after
  const text = out.toString("utf8", 4, end);
  expect(text.endsWith("}\n")).toBe(true);
  return text.slice(0, -1).split("\n");
}

/** A segment's lines as they are written, and its events as the control plane resolves them. */
class Segment {
  readonly lines: string[] = [];
  private readonly parts: unknown[] = [];
  constructor(readonly serial: number) {}
  /** Writes one event and returns it whole. */
  event(w: SpoolLineWriter, now: number, at: number, durationUs: number | null, rows: number | null, sqlstate: string | null, p: EventPart = part): Record<string, unknown> {
    const lines = linesOf(w, this.serial, now, at, durationUs, rows, sqlstate, p);
    this.lines.push(...lines);
    const elements = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // The segment's parts so far, then this event.
    this.parts.push(...elements.filter((e) => !("id" in e)));
    const resolved = resolveAuditParts([...this.parts, elements.at(-1)]);
    if (!resolved.ok) throw new Error(resolved.error);
    return resolved.events.at(-1)!;
  }
}

let serials = 1000;
const line = (w: SpoolLineWriter, now: number, at: number, durationUs: number | null, rows: number | null, sqlstate: string | null) =>
  new Segment(serials++).event(w, now, at, durationUs, rows, sqlstate);

describe("SpoolLineWriter", () => {
  it("writes events that resolve to exactly the AuditEvent RecordedEvent.toJsonLine gives for the same id and time", () => {
    const w = new SpoolLineWriter();
    const segment = new Segment(serials++);
    const at = Date.UTC(2026, 11, 7, 12, 0, 0, 5);
    const numbers = [null, 0, 1, 9, 10, 99, 100, 412, 1_000_000, 2 ** 31, Number.MAX_SAFE_INTEGER, -3];
    const sqlstates = [null, "42501", "23505", "XX000", "P0001", "Xé\u0001\"", "abc", ""];
    for (const durationUs of numbers) {
      for (const rows of numbers) {
        for (const sqlstate of sqlstates) {
          const got = segment.event(w, at, at, durationUs, rows, sqlstate);
          expect(got.id).toMatch(UUID_V7);
          expect(got).toEqual(JSON.parse(new RecordedEvent(at, part, durationUs, rows, sqlstate).toJsonLine(got.id as string, got.occurredAt as string)));
        }
      }
    }
    // The part once, then only the events' own lines, which name it.
    expect(segment.lines.length).toBe(1 + numbers.length ** 2 * sqlstates.length);
    expect(JSON.parse(segment.lines[0]!)).toEqual({ part: 0, ...JSON.parse(`{${part.json.toString()}}`) });
    expect(segment.lines[1]).toMatch(/^\{"id":"[^"]+","occurredAt":"2026-12-07T12:00:00.005Z","part":0,"durationUs":null,"rows":null,"sqlstate":null\}$/);
  });

  it("defines a part again in each new segment, numbering parts from 0 in each", () => {
    const w = new SpoolLineWriter();
    const other = eventPart(WHO, '"statement":"SELECT 2","fingerprint":"1","kind":"select","tables":[]', "denied", "r", null);
    const now = Date.now();
    const first = new Segment(serials++);
    first.event(w, now, now, 1, 1, null);
    first.event(w, now, now, 2, 1, null, other);
    first.event(w, now, now, 3, 1, null);
    expect(first.event(w, now, now, 4, 1, null, other)).toMatchObject({ statement: "SELECT 2", decision: "denied", rule: "r", durationUs: 4 });
    expect(first.lines.map((l) => (JSON.parse(l) as { part: number; id?: string }).id === undefined)).toEqual([true, false, true, false, false, false]);
    expect(first.lines.map((l) => (JSON.parse(l) as { part: number }).part)).toEqual([0, 0, 1, 1, 0, 1]);
    const second = new Segment(serials++);
    expect(second.event(w, now, now, 5, 1, null, other)).toMatchObject({ statement: "SELECT 2", durationUs: 5 });
    expect(second.event(w, now, now, 6, 1, null)).toMatchObject({ statement: "SELECT $1", durationUs: 6 });
    expect(second.lines.map((l) => (JSON.parse(l) as { part: number }).part)).toEqual([0, 0, 1, 1]);
  });

  it("writes null for a number that is not a safe integer (the control plane takes integers only)", () => {
    const w = new SpoolLineWriter();
    const got = line(w, 1, 1, 1.5, 2 ** 60, null) as { durationUs: unknown; rows: unknown };
    expect(got).toMatchObject({ durationUs: null, rows: null });
  });

  it("writes each event's own time, in whatever order the times come", () => {
    const w = new SpoolLineWriter();
    const base = Date.UTC(2026, 11, 31, 23, 59, 59, 998);
    for (const at of [base, base + 1, base, base + 2, base + 1001, base - 999, 0, base + 3]) {
      const e = line(w, base, at, 1, 1, null) as { occurredAt: string };
      expect(e.occurredAt).toBe(new Date(at).toISOString());
    }
  });

  it("gives ids in order, with the time of `now` in them and the event's own time beside them", () => {
    const w = new SpoolLineWriter();
    const base = Date.UTC(2026, 11, 7, 12, 0, 0, 0);
    const ids: string[] = [];
    // 5,000 events in one millisecond run the counter past its 12 bits: the next millisecond is borrowed.
    for (let i = 0; i < 5000; i++) {
      const e = line(w, base, base - 3, i, null, null) as { id: string; occurredAt: string };
      expect(e.occurredAt).toBe(new Date(base - 3).toISOString());
      ids.push(e.id);
    }
    for (let i = 0; i < 3; i++) ids.push((line(w, base + 5 + i, base + 5, 0, 0, null) as { id: string }).id);
    // Into the next seconds, where the random part is drawn again.
    for (const later of [base + 1500, base + 1501, base + 2 ** 40]) ids.push((line(w, later, later, 0, 0, null) as { id: string }).id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    const msOf = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(msOf(ids[0]!)).toBe(base);
    expect(msOf(ids[5002]!)).toBe(base + 7);
    expect(ids.slice(-3).map(msOf)).toEqual([base + 1500, base + 1501, base + 2 ** 40]);
    expect(ids.at(-1)!.slice(-17)).not.toBe(ids[0]!.slice(-17));
  });
});
