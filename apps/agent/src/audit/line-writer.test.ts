import { describe, expect, it } from "vitest";
import { eventMiddle, RecordedEvent } from "./audit-event";
import { SpoolLineWriter } from "./line-writer";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const middle = eventMiddle('"virtualDatabase":"v","credential":"c","clientAddress":null,"applicationName":"ü"', '"statement":"SELECT $1","fingerprint":"0000000000000000","kind":"select","tables":[]', "allowed", null, "pg");

function line(w: SpoolLineWriter, now: number, at: number, durationUs: number | null, rows: number | null, sqlstate: string | null): string {
  const out = Buffer.alloc(w.prepare(now, at, middle, sqlstate) + 8, 0xff);
  const end = w.write(out, 4, at, middle, durationUs, rows, sqlstate);
  expect(out[3]).toBe(0xff); // nothing before
  expect(out[end]).toBe(0xff); // nor after
  const text = out.toString("utf8", 4, end);
  expect(text.endsWith("}\n")).toBe(true);
  return text.slice(0, -1);
}

describe("SpoolLineWriter", () => {
  it("writes exactly the AuditEvent JSON that RecordedEvent.toJsonLine gives for the same id and time", () => {
    const w = new SpoolLineWriter();
    const at = Date.UTC(2026, 11, 7, 12, 0, 0, 5);
    const numbers = [null, 0, 1, 9, 10, 99, 100, 412, 1_000_000, 2 ** 31, Number.MAX_SAFE_INTEGER, -3];
    const sqlstates = [null, "42501", "23505", "XX000", "P0001", "Xé\u0001\"", "abc", ""];
    for (const durationUs of numbers) {
      for (const rows of numbers) {
        for (const sqlstate of sqlstates) {
          const text = line(w, at, at, durationUs, rows, sqlstate);
          const got = JSON.parse(text) as { id: string; occurredAt: string };
          expect(got.id).toMatch(UUID_V7);
          expect(text).toBe(new RecordedEvent(at, middle, durationUs, rows, sqlstate).toJsonLine(got.id, got.occurredAt));
        }
      }
    }
  });

  it("writes null for a number that is not a safe integer (the control plane takes integers only)", () => {
    const w = new SpoolLineWriter();
    const got = JSON.parse(line(w, 1, 1, 1.5, 2 ** 60, null)) as { durationUs: unknown; rows: unknown };
    expect(got).toMatchObject({ durationUs: null, rows: null });
  });

  it("writes each event's own time, in whatever order the times come", () => {
    const w = new SpoolLineWriter();
    const base = Date.UTC(2026, 11, 31, 23, 59, 59, 998);
    for (const at of [base, base + 1, base, base + 2, base + 1001, base - 999, 0, base + 3]) {
      const e = JSON.parse(line(w, base, at, 1, 1, null)) as { occurredAt: string };
      expect(e.occurredAt).toBe(new Date(at).toISOString());
    }
  });

  it("gives ids in order, with the time of `now` in them and the event's own time beside them", () => {
    const w = new SpoolLineWriter();
    const base = Date.UTC(2026, 11, 7, 12, 0, 0, 0);
    const ids: string[] = [];
    // 5,000 events in one millisecond run the counter past its 12 bits: the next millisecond is borrowed.
    for (let i = 0; i < 5000; i++) {
      const e = JSON.parse(line(w, base, base - 3, i, null, null)) as { id: string; occurredAt: string };
      expect(e.occurredAt).toBe(new Date(base - 3).toISOString());
      ids.push(e.id);
    }
    for (let i = 0; i < 3; i++) ids.push((JSON.parse(line(w, base + 5 + i, base + 5, 0, 0, null)) as { id: string }).id);
    // Into the next seconds, where the random part is drawn again.
    for (const later of [base + 1500, base + 1501, base + 2 ** 40]) ids.push((JSON.parse(line(w, later, later, 0, 0, null)) as { id: string }).id);
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
