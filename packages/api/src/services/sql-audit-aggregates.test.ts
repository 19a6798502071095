import { describe, expect, it } from "vitest";
import { splitRange } from "./sql-audit-aggregates";

const H = 3600_000;
const at = (iso: string) => new Date(iso);

describe("splitRange", () => {
  it("gives the whole hours to the rollup and the partial ones at each edge to the raw rows", () => {
    const s = splitRange(at("2026-11-25T10:20:00Z"), at("2026-11-25T14:05:00Z"), H)!;
    expect(s.lo).toEqual(at("2026-11-25T11:00:00Z"));
    expect(s.hi).toEqual(at("2026-11-25T14:00:00Z"));
    expect(s.edges).toEqual([
      { from: at("2026-11-25T10:20:00Z"), to: at("2026-11-25T11:00:00Z") },
      { from: at("2026-11-25T14:00:00Z"), to: at("2026-11-25T14:05:00Z") },
    ]);
  });

  it("needs no edges when the range is aligned, and no upper bound when it is open", () => {
    const s = splitRange(at("2026-11-25T10:00:00Z"), undefined, H)!;
    expect(s).toEqual({ lo: at("2026-11-25T10:00:00Z"), hi: null, edges: [] });
  });

  it("leaves a range with no whole unit in it to the raw rows", () => {
    expect(splitRange(at("2026-11-25T10:20:00Z"), at("2026-11-25T10:50:00Z"), H)).toBeNull();
    expect(splitRange(at("2026-11-25T10:20:00Z"), at("2026-11-25T11:10:00Z"), H)).toBeNull();
  });
});
