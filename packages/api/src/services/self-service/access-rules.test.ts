import { evaluateAccess, sortAccessRules } from "@dbmesh/mesh";
import { describe, expect, test } from "vitest";
import { accessRulesFor } from "./provision";

// The rules an access request turns into, evaluated the way the agent orders and applies them
// (most specific first, first match wins), with a default that allows: they must close what they
// do not grant on their own.

function decide(mode: "READ_ONLY" | "READ_WRITE", tables: string[], operation: string, table: { schema: string; name: string }) {
  const rules = sortAccessRules(
    accessRulesFor("reporter", mode, tables).flatMap((r) => r.tables.map((t) => ({ name: r.name, credential: "reporter", effect: r.effect, operations: r.operations as never, table: t }))),
  );
  return evaluateAccess({ rules, credential: "reporter", tables: [{ ...table, operation: operation as never }], defaultEffect: "ALLOW" }).allowed;
}

const orders = { schema: "public", name: "orders" };
const users = { schema: "public", name: "users" };

describe("accessRulesFor", () => {
  test.each([
    ["READ_ONLY", [], "select", orders, true],
    ["READ_ONLY", [], "insert", orders, false],
    ["READ_ONLY", [], "ddl", users, false],
    ["READ_ONLY", ["public.orders"], "select", orders, true],
    ["READ_ONLY", ["public.orders"], "update", orders, false],
    ["READ_ONLY", ["public.orders"], "select", users, false],
    ["READ_WRITE", [], "delete", users, true],
    ["READ_WRITE", ["public.orders"], "insert", orders, true],
    ["READ_WRITE", ["public.orders"], "select", users, false],
  ] as const)("%s on %j: %s %j → allowed %s", (mode, tables, op, table, allowed) => {
    expect(decide(mode, [...tables], op, table)).toBe(allowed);
  });

  test("rule names are valid resource names even for long credential names", () => {
    for (const r of accessRulesFor(`${"x".repeat(60)}_app`, "READ_ONLY", ["public.orders"])) expect(r.name).toMatch(/^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$/);
  });
});
