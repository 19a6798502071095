import { describe, expect, it } from "vitest";
import { AnalysisCache } from "./analysis-cache";
import type { StatementAnalysis } from "./types";

const fake = (sql: string) => ({ kind: "other", error: sql }) as unknown as StatementAnalysis;

// Each step: "+x" stores x, "?x" looks x up; then the texts expected in the cache, in any order.
const scenarios: { why: string; capacity: number; steps: [string, string][] }[] = [
  {
    why: "fills up to its capacity, then evicts the oldest unused text",
    capacity: 2,
    steps: [
      ["+a", "a"],
      ["+b", "a b"],
      ["+c", "b c"],
      ["+d", "c d"],
    ],
  },
  {
    why: "spares a text used since the hand last passed",
    capacity: 3,
    steps: [
      ["+a", "a"],
      ["+b", "a b"],
      ["+c", "a b c"],
      ["?a", "a b c"],
      ["+d", "a c d"],
      ["+e", "a d e"], // the hand is past a (cooled) and on c
      ["+f", "d e f"],
    ],
  },
  {
    why: "evicts even when everything is in use (one full lap cools all)",
    capacity: 2,
    steps: [
      ["+a", "a"],
      ["+b", "a b"],
      ["?a", "a b"],
      ["?b", "a b"],
      ["+c", "b c"],
    ],
  },
  {
    why: "ignores storing a text twice",
    capacity: 2,
    steps: [
      ["+a", "a"],
      ["+a", "a"],
      ["+b", "a b"],
    ],
  },
  { why: "stores nothing with capacity 0", capacity: 0, steps: [["+a", ""]] },
];

describe("AnalysisCache", () => {
  it.each(scenarios)("$why", ({ capacity, steps }) => {
    const cache = new AnalysisCache(capacity);
    const all = new Set<string>();
    for (const [op, expected] of steps) {
      const sql = op.slice(1);
      all.add(sql);
      if (op.startsWith("+")) cache.set(sql, fake(sql));
      // Look up through a private view so that checking does not mark entries as used.
      const present = [...all].filter((s) => (cache as unknown as { map: Map<string, unknown> }).map.has(s)).sort();
      if (op.startsWith("?")) expect(cache.get(sql)?.error).toBe(sql);
      expect(present.join(" "), `after ${op}`).toBe(expected);
      expect(cache.size).toBe(present.length);
    }
  });
});
