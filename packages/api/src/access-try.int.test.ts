import { demoMesh, exportMeshYaml } from "@dbmesh/mesh";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Caller, type Harness } from "./testing/harness";

let h: Harness;
let dev: Caller;
beforeAll(async () => {
  h = await createHarness();
  const dba = await h.as("DBA");
  await dba.mesh.applyImport({ yaml: exportMeshYaml(demoMesh), prune: false });
  dev = await h.as("DEVELOPER");
});
afterAll(() => h?.close());

describe("accessRule.tryStatement (the demo policy)", () => {
  it.each([
    ["demo_app", "SELECT * FROM customers c JOIN orders o ON o.customer_id = c.id", true, "demo-read-all"],
    ["demo_app", "UPDATE public.orders SET status = 'shipped' WHERE id = 7", true, "demo-app-write"],
    ["demo_app", "DROP TABLE customers", false, null],
    ["demo_app", "TRUNCATE orders", false, null],
    ["demo_app", "select * from AUDIT.login_history", false, "demo-deny-audit"],
    ["demo_app", 'SELECT * FROM "audit"."login_history"', false, "demo-deny-audit"],
    ["demo_app", "WITH gone AS (DELETE FROM audit.login_history RETURNING *) SELECT count(*) FROM gone", false, "demo-deny-audit"],
    ["demo_app", "SELECT 1; DELETE FROM audit.login_history", false, "demo-deny-audit"],
    ["demo_app", "INSERT INTO orders (customer_id) SELECT id FROM audit.login_history", false, "demo-deny-audit"],
    ["reporting", "UPDATE orders SET status = 'x'", false, null],
    ["reporting", "SELECT count(*) FROM orders", true, "demo-read-all"],
  ] as const)("%s: %s → allowed %s (%s)", async (credential, sql, allowed, rule) => {
    const r = await dev.accessRule.tryStatement({ virtualDatabase: "demo", credential, sql });
    expect(r.decision.allowed).toBe(allowed);
    expect(r.decision.rule).toBe(rule);
    expect(r.defaultEffect).toBe("DENY");
  });

  it("names the tables and operations it found", async () => {
    const r = await dev.accessRule.tryStatement({ virtualDatabase: "demo", credential: "demo_app", sql: "INSERT INTO orders (customer_id) SELECT id FROM customers" });
    expect(r.analysis.tables).toEqual(expect.arrayContaining([
      { schema: null, name: "orders", operation: "insert" },
      { schema: null, name: "customers", operation: "select" },
    ]));
    expect(r.decision.tables.map((t) => `${t.schema}.${t.name}:${t.operation}`).sort()).toEqual(["public.customers:select", "public.orders:insert"]);
  });

  it("refuses what it cannot parse (fail closed) and an unqualified name moved by the search path", async () => {
    const bad = await dev.accessRule.tryStatement({ virtualDatabase: "demo", credential: "demo_app", sql: "SELEC * FRM orders" });
    expect(bad.decision.allowed).toBe(false);
    expect(bad.decision.reason).toMatch(/cannot be parsed/);
    const moved = await dev.accessRule.tryStatement({ virtualDatabase: "demo", credential: "demo_app", sql: "SELECT * FROM login_history", searchPath: ["audit", "public"] });
    expect(moved.decision).toMatchObject({ allowed: false, rule: "demo-deny-audit" });
  });

  it("starts from the virtual database's own search path, as the agent does", async () => {
    const dba = await h.as("DBA");
    const demo = (await dba.virtualDatabase.list()).find((v) => v.name === "demo")!;
    const tryIt = (sql: string) => dev.accessRule.tryStatement({ virtualDatabase: "demo", credential: "demo_app", sql });
    expect((await tryIt("SELECT * FROM login_history")).decision).toMatchObject({ allowed: true, rule: "demo-read-all" });
    await dba.virtualDatabase.update({ id: demo.id, data: { ...demo, searchPath: ["audit"] } });
    try {
      const r = await tryIt("SELECT * FROM login_history");
      expect(r.decision).toMatchObject({ allowed: false, rule: "demo-deny-audit" });
      expect(r.decision.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(["audit.login_history"]);
      // RESET goes back to it too.
      expect((await tryIt("RESET search_path; SELECT * FROM login_history")).decision).toMatchObject({ allowed: false, refusedStatement: 1 });
    } finally {
      await dba.virtualDatabase.update({ id: demo.id, data: { ...demo, searchPath: [] } });
    }
  });

  it("reports the circuit break the agent would refuse first, on the normalized text of each statement", async () => {
    const tryIt = (sql: string) => dev.accessRule.tryStatement({ virtualDatabase: "demo", credential: "demo_app", sql });
    expect((await tryIt("/* hi */ DrOp   TABLE customers")).circuitBreak).toEqual({ rule: "no-drop", statement: 0 });
    expect((await tryIt("SELECT 1; -- x\n drop table orders")).circuitBreak).toEqual({ rule: "no-drop", statement: 1 });
    expect((await tryIt("SELECT 'drop table orders'")).circuitBreak).toBeNull();
  });
});
