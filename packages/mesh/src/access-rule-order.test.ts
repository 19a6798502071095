import { describe, expect, it } from "vitest";
import { compareAccessRules, type OrderedAccessRule, sortAccessRules } from "./access-rule-order";

const rule = (r: Partial<OrderedAccessRule>): OrderedAccessRule => ({
  name: "r",
  credential: null,
  effect: "ALLOW",
  table: "*",
  ...r,
});

// Each row: `first` must be applied before `second`.
const cases: { why: string; first: OrderedAccessRule; second: OrderedAccessRule }[] = [
  {
    why: "a credential's own rule before a rule for everyone",
    first: rule({ credential: "app", table: "*" }),
    second: rule({ credential: null, table: "public.orders", effect: "DENY" }),
  },
  { why: "an exact table before a wildcard", first: rule({ table: "public.orders" }), second: rule({ table: "public.*" }) },
  { why: "an exact table before everything", first: rule({ table: "orders" }), second: rule({ table: "*" }) },
  { why: "an exact unqualified table before a qualified wildcard", first: rule({ table: "orders" }), second: rule({ table: "public.*" }) },
  { why: "schema.table before table", first: rule({ table: "public.orders" }), second: rule({ table: "orders" }) },
  { why: "schema.* before *", first: rule({ table: "audit.*" }), second: rule({ table: "*" }) },
  { why: "a longer prefix before a shorter one", first: rule({ table: "audit.log_*" }), second: rule({ table: "audit.*" }) },
  {
    why: "DENY before ALLOW when equally specific",
    first: rule({ name: "z-deny", effect: "DENY", table: "audit.*" }),
    second: rule({ name: "a-allow", effect: "ALLOW", table: "audit.*" }),
  },
  { why: "by name on a full tie", first: rule({ name: "alpha" }), second: rule({ name: "beta" }) },
];

describe("access rule order", () => {
  it.each(cases)("puts $why", ({ first, second }) => {
    expect(compareAccessRules(first, second)).toBeLessThan(0);
    expect(compareAccessRules(second, first)).toBeGreaterThan(0);
    expect(sortAccessRules([second, first])).toEqual([first, second]);
  });

  it("is a total order: any input order sorts the same", () => {
    const rules = [
      rule({ name: "read-all", table: "*" }),
      rule({ name: "deny-audit", effect: "DENY", table: "audit.*" }),
      rule({ name: "app-write", credential: "app", table: "public.*" }),
      rule({ name: "app-orders", credential: "app", effect: "DENY", table: "public.orders" }),
      rule({ name: "orders", table: "orders" }),
    ];
    const expected = ["app-orders", "app-write", "orders", "deny-audit", "read-all"];
    expect(sortAccessRules(rules).map((r) => r.name)).toEqual(expected);
    expect(sortAccessRules([...rules].reverse()).map((r) => r.name)).toEqual(expected);
  });

  it("does not reorder its input", () => {
    const rules = [rule({ name: "b" }), rule({ name: "a" })];
    sortAccessRules(rules);
    expect(rules.map((r) => r.name)).toEqual(["b", "a"]);
  });
});
