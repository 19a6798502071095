import { describe, expect, it } from "vitest";
import { EventIdGenerator } from "./event-id";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("EventIdGenerator", () => {
  it("makes UUIDv7s carrying the time, unique and in order within one millisecond", () => {
    const ids = new EventIdGenerator();
    const now = Date.UTC(2026, 10, 25, 12, 0, 0, 123);
    const batch = Array.from({ length: 5000 }, () => ids.next(now));
    for (const id of batch) expect(id).toMatch(UUID_V7);
    expect(new Set(batch).size).toBe(batch.length);
    expect([...batch].sort()).toEqual(batch);
    expect(parseInt(batch[0]!.replace(/-/g, "").slice(0, 12), 16)).toBe(now);
  });

  it("stays ordered when the clock steps back", () => {
    const ids = new EventIdGenerator();
    const a = ids.next(2_000_000);
    const b = ids.next(1_000_000);
    const c = ids.next(2_000_001);
    expect([a, b, c].sort()).toEqual([a, b, c]);
  });

  it("draws its random part once a second, and two generators never share it", () => {
    const a = new EventIdGenerator();
    const b = new EventIdGenerator();
    const t = Date.UTC(2026, 11, 7, 12, 0, 0, 0);
    const tail = (id: string) => id.slice(19);
    const first = tail(a.next(t));
    expect(tail(a.next(t + 999))).toBe(first);
    expect(tail(a.next(t + 1000))).not.toBe(first);
    expect(tail(b.next(t))).not.toBe(first);
  });
});
