import { describe, expect, it } from "vitest";
import { type BalancedBackend, createBalancer } from "./balancer";

const backends = (spec: Record<string, number>): BalancedBackend[] =>
  Object.entries(spec).map(([name, weight]) => ({ name, weight }));
const idle = () => 0;

function picks(n: number, pick: () => BalancedBackend | null): string {
  return Array.from({ length: n }, () => pick()?.name ?? "-").join("");
}

function counts(n: number, pick: () => BalancedBackend | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = pick()?.name ?? "-";
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

describe("every algorithm", () => {
  it.each(["round_robin", "random", "least_connections", "weighted"] as const)("%s: no candidates, no pick", (alg) => {
    expect(createBalancer(alg).pick([], idle)).toBeNull();
  });

  it.each(["round_robin", "random", "least_connections", "weighted"] as const)("%s: one candidate, always it", (alg) => {
    const b = createBalancer(alg);
    const only = backends({ a: 3 });
    expect(picks(5, () => b.pick(only, idle))).toBe("aaaaa");
  });
});

describe("round_robin", () => {
  it("takes turns in candidate order, ignoring weights", () => {
    const b = createBalancer("round_robin");
    const c = backends({ a: 1, b: 5, c: 1 });
    expect(picks(7, () => b.pick(c, idle))).toBe("abcabca");
  });

  it("keeps its own turn: two balancers do not share a counter", () => {
    const one = createBalancer("round_robin");
    const two = createBalancer("round_robin");
    const c = backends({ a: 1, b: 1 });
    one.pick(c, idle);
    expect(two.pick(c, idle)?.name).toBe("a");
  });

  it("spreads exactly evenly", () => {
    const b = createBalancer("round_robin");
    const c = backends({ a: 1, b: 1, c: 1 });
    expect(counts(3000, () => b.pick(c, idle))).toEqual({ a: 1000, b: 1000, c: 1000 });
  });

  it("copes with the candidate list shrinking (a backend went down)", () => {
    const b = createBalancer("round_robin");
    b.pick(backends({ a: 1, b: 1, c: 1 }), idle);
    b.pick(backends({ a: 1, b: 1, c: 1 }), idle);
    const two = backends({ a: 1, c: 1 });
    expect(picks(4, () => b.pick(two, idle)).split("").sort().join("")).toBe("aacc");
  });
});

describe("random", () => {
  it("maps the random number onto the candidates", () => {
    const c = backends({ a: 1, b: 1, c: 1, d: 1 });
    const cases: [number, string][] = [
      [0, "a"],
      [0.2499, "a"],
      [0.25, "b"],
      [0.74, "c"],
      [0.9999999, "d"],
    ];
    for (const [r, name] of cases) expect(createBalancer("random", { random: () => r }).pick(c, idle)?.name).toBe(name);
  });

  it("spreads roughly evenly with a seeded generator", () => {
    let seed = 42; // mulberry32: deterministic, so the test cannot flake
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const b = createBalancer("random", { random });
    const got = counts(30_000, () => b.pick(backends({ a: 1, b: 1, c: 1 }), idle));
    for (const name of ["a", "b", "c"]) expect(Math.abs(got[name]! - 10_000)).toBeLessThan(500);
  });
});

describe("least_connections", () => {
  const cases: { why: string; active: Record<string, number>; want: string }[] = [
    { why: "the least busy", active: { a: 5, b: 2, c: 9 }, want: "bbbb" },
    { why: "round robin among equals", active: { a: 1, b: 1, c: 1 }, want: "abcabc" },
    { why: "round robin among the tied least busy only", active: { a: 0, b: 4, c: 0 }, want: "acac" },
  ];
  it.each(cases)("picks $why", ({ active, want }) => {
    const b = createBalancer("least_connections");
    const c = backends({ a: 1, b: 1, c: 1 });
    expect(picks(want.length, () => b.pick(c, (n) => active[n]!))).toBe(want);
  });

  it("follows the connections as they open", () => {
    const b = createBalancer("least_connections");
    const c = backends({ a: 1, b: 1, c: 1 });
    const active: Record<string, number> = { a: 2, b: 0, c: 1 };
    const seq: string[] = [];
    for (let i = 0; i < 6; i++) {
      const chosen = b.pick(c, (n) => active[n]!)!;
      active[chosen.name]!++;
      seq.push(chosen.name);
    }
    // b:0→1; then b,c tie at 1 → turn; … everyone ends level at 3.
    expect(active).toEqual({ a: 3, b: 3, c: 3 });
    expect(seq[0]).toBe("b");
  });
});

describe("weighted (smooth weighted round robin)", () => {
  const cases: { weights: Record<string, number>; want: string }[] = [
    { weights: { a: 5, b: 1, c: 1 }, want: "aabacaa" }, // nginx's own example
    { weights: { a: 1, b: 1, c: 1 }, want: "abcabc" },
    { weights: { a: 2, b: 1 }, want: "abaaba" },
    { weights: { a: 3, b: 2 }, want: "ababaababa" },
  ];
  it.each(cases)("weights $weights give $want", ({ weights, want }) => {
    const b = createBalancer("weighted");
    const c = backends(weights);
    expect(picks(want.length, () => b.pick(c, idle))).toBe(want);
  });

  it("gives each backend exactly its share over a full cycle, every run", () => {
    const c = backends({ a: 50, b: 30, c: 15, d: 5 });
    const run = () => {
      const b = createBalancer("weighted");
      return picks(1000, () => b.pick(c, idle));
    };
    const first = run();
    expect(run()).toBe(first); // deterministic
    const got: Record<string, number> = {};
    for (const ch of first) got[ch] = (got[ch] ?? 0) + 1;
    expect(got).toEqual({ a: 500, b: 300, c: 150, d: 50 });
  });

  it("never sends two in a row to a backend when weights are equal", () => {
    const b = createBalancer("weighted");
    const seq = picks(30, () => b.pick(backends({ a: 7, b: 7 }), idle));
    expect(seq).not.toMatch(/aa|bb/);
  });

  it("starts over when the candidates change", () => {
    const b = createBalancer("weighted");
    const full = backends({ a: 5, b: 1, c: 1 });
    picks(3, () => b.pick(full, idle));
    const smaller = backends({ a: 1, c: 1 });
    expect(picks(4, () => b.pick(smaller, idle))).toBe("acac");
    expect(picks(7, () => b.pick(full, idle))).toBe("aabacaa");
  });

  it("never picks a zero weight unless every weight is zero", () => {
    const b = createBalancer("weighted");
    expect(picks(4, () => b.pick(backends({ a: 0, b: 2 }), idle))).toBe("bbbb");
    expect(picks(4, () => b.pick(backends({ a: 0, b: 0 }), idle))).toBe("abab");
  });
});
