import { describe, expect, it } from "vitest";
import { evaluateAccess, tablePatternMatches, type AccessRuleForEvaluation } from "./access-evaluate";
import { sortAccessRules } from "./access-rule-order";

const rules: AccessRuleForEvaluation[] = sortAccessRules([
  { name: "read-all", credential: null, effect: "ALLOW", operations: ["select"], table: "*" },
  { name: "deny-audit", credential: null, effect: "DENY", operations: ["all"], table: "audit.*" },
  { name: "app-write", credential: "demo_app", effect: "ALLOW", operations: ["insert", "update", "delete"], table: "public.*" },
  { name: "app-no-payments", credential: "demo_app", effect: "DENY", operations: ["update", "delete"], table: "public.payments" },
  { name: "reporting-audit", credential: "reporting", effect: "ALLOW", operations: ["select"], table: "audit.login_history" },
]);

describe("tablePatternMatches", () => {
  it.each([
    ["*", "public", "orders", true],
    ["orders", "public", "orders", true],
    ["orders", "sales", "orders", true],
    ["public.orders", "public", "orders", true],
    ["public.orders", "sales", "orders", false],
    ["public.*", "public", "anything", true],
    ["public.*", "publicx", "t", false],
    ["audit.log*", "audit", "login_history", true],
    ["audit.log*", "audit", "xlog", false],
    ["a.b", "a", "bb", false],
    ["pub.ord", "public", "orders", false],
  ])("%s covers %s.%s: %s", (pattern, schema, name, expected) => {
    expect(tablePatternMatches(pattern, schema, name)).toBe(expected);
  });
  it("treats regex characters in names literally", () => {
    expect(tablePatternMatches("a$b", "public", "a$b")).toBe(true);
    expect(tablePatternMatches("a$b", "public", "ab")).toBe(false);
  });
});

describe("evaluateAccess", () => {
  const decide = (credential: string, tables: { schema: string | null; name: string; operation: string }[], searchPath?: string[]) =>
    evaluateAccess({ rules, credential, tables, searchPath, defaultEffect: "DENY" });

  it.each([
    ["demo_app", [{ schema: "public", name: "orders", operation: "select" }], true, "read-all"],
    ["demo_app", [{ schema: "public", name: "orders", operation: "update" }], true, "app-write"],
    ["demo_app", [{ schema: "public", name: "payments", operation: "update" }], false, "app-no-payments"],
    ["demo_app", [{ schema: "public", name: "payments", operation: "insert" }], true, "app-write"],
    ["demo_app", [{ schema: "audit", name: "login_history", operation: "select" }], false, "deny-audit"],
    ["reporting", [{ schema: "audit", name: "login_history", operation: "select" }], true, "reporting-audit"],
    ["reporting", [{ schema: "audit", name: "other", operation: "select" }], false, "deny-audit"],
    ["reporting", [{ schema: "public", name: "orders", operation: "delete" }], false, null],
    ["demo_app", [{ schema: "public", name: "orders", operation: "ddl" }], false, null],
    ["demo_app", [{ schema: "public", name: "orders", operation: "truncate" }], false, null],
    // Every table must pass: one denied table denies the statement.
    ["demo_app", [{ schema: "public", name: "orders", operation: "select" }, { schema: "audit", name: "x", operation: "select" }], false, "deny-audit"],
    ["demo_app", [], true, null],
  ] as const)("%s %j → allowed %s by %s", (credential, tables, allowed, rule) => {
    const d = decide(credential, [...tables]);
    expect(d.allowed).toBe(allowed);
    expect(d.rule).toBe(rule);
  });

  it("resolves unqualified names against the search path, so a SET search_path cannot dodge a rule", () => {
    expect(decide("demo_app", [{ schema: null, name: "login_history", operation: "select" }], ["audit", "public"]).allowed).toBe(false);
    expect(decide("demo_app", [{ schema: null, name: "orders", operation: "select" }]).tables[0]!.schema).toBe("public");
    expect(decide("demo_app", [{ schema: null, name: "orders", operation: "select" }], ["$user", "sales"]).tables[0]!.schema).toBe("sales");
  });

  it("falls back to the default effect when no rule covers a table, and says so", () => {
    const allowByDefault = evaluateAccess({ rules: [], credential: "x", tables: [{ schema: "public", name: "t", operation: "delete" }], defaultEffect: "ALLOW" });
    expect(allowByDefault).toMatchObject({ allowed: true, rule: null });
    const denied = decide("reporting", [{ schema: "public", name: "orders", operation: "delete" }]);
    expect(denied.reason).toBe("delete on public.orders is refused by no access rule allows it (the default is deny)");
  });
});
