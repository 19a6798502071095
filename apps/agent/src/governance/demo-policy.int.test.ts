import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { compile, demoMesh, type MeshDefinition } from "@dbmesh/mesh";
import type pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Agent } from "../agent";
import { verifierFor } from "../testing/config-builder";
import { ADMIN_URL, createScratchDatabase } from "../testing/postgres";
import { connectClient, startTestAgent } from "../testing/test-agent";

// The seeded demo's policy, as `npm start` serves it through DBMESH_DEMO_DSN: the demo mesh (packages/mesh's
// fixture, which the seed stores) compiled exactly as the control plane compiles it, an agent serving it, the
// demo data loaded from scripts/demo-data.sql, and the demo credential. The demo app reads and writes the shop's
// tables but runs no DDL: DROP TABLE gets 42501 and the session goes on.

const DB = "agent_demo_policy";
const PASSWORD = "pw-demo-policy";
let agent: Agent;
let scratch: { drop(): Promise<void> };

beforeAll(async () => {
  scratch = await createScratchDatabase(DB);
  const sql = fileURLToPath(new URL("../../../../scripts/demo-data.sql", import.meta.url));
  execFileSync("psql", [ADMIN_URL.replace(/\/postgres$/, `/${DB}`), "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", sql], { stdio: "pipe" });
  const mesh: MeshDefinition = { ...demoMesh, endpoints: demoMesh.endpoints.map((e) => ({ ...e, host: "127.0.0.1", port: 5432, database: DB, username: "postgres" })) };
  const config = compile({
    revision: 1,
    mesh,
    credentials: [{ name: "demo_app", scramVerifier: verifierFor(PASSWORD), virtualDatabases: ["demo"] }],
  });
  agent = await startTestAgent(config);
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await scratch?.drop();
});

async function codeOf(c: pg.Client, sql: string): Promise<string> {
  return c.query(sql).then(
    () => "ok",
    (e: { code?: string }) => e.code ?? "?",
  );
}

test("the demo credential reads and writes the shop's tables, runs no DDL, and its session survives a refusal", async () => {
  const c = await connectClient(agent, { user: "demo_app", password: PASSWORD, database: "demo" });
  try {
    await expect(c.query("DROP TABLE customers")).rejects.toMatchObject({ code: "42501" });
    // The next statement in the same session works.
    expect((await c.query("SELECT count(*)::int AS n FROM customers")).rows[0].n).toBeGreaterThan(0);

    // The demo's `^\s*drop\s` circuit break reads the normalized text: a leading comment does not walk around it.
    const dropped = await c.query("/* hi */ DROP TABLE customers").then(() => null, (e: { code?: string; message: string }) => e);
    expect(dropped?.code).toBe("42501");
    expect(dropped?.message).toContain('circuit break "no-drop"');
    // Other DDL and TRUNCATE fall to the virtual database's default (deny).
    for (const ddl of ["ALTER TABLE customers ADD COLUMN x int", "CREATE TABLE scratch (x int)", "TRUNCATE orders", "CREATE INDEX ON orders (status)"]) {
      const err = await c.query(ddl).then(() => null, (e: { code?: string; message: string }) => e);
      expect(err?.code, ddl).toBe("42501");
      expect(err?.message, ddl).toContain('the default of virtual database "demo"');
    }
    // The audit schema is off limits by rule.
    await expect(c.query("SELECT * FROM audit.login_history")).rejects.toThrow(/access rule "demo-deny-audit"/);
    // Reads and writes of the shop's tables go through.
    const id = (await c.query("SELECT id FROM customers ORDER BY id LIMIT 1")).rows[0].id;
    expect(await codeOf(c, `UPDATE orders SET status = status WHERE customer_id = ${id}`)).toBe("ok");
    await c.query("BEGIN");
    expect(await codeOf(c, "DELETE FROM order_items WHERE false")).toBe("ok");
    // Inside a transaction a refusal aborts it, as a PostgreSQL error would.
    expect(await codeOf(c, "DROP TABLE orders")).toBe("42501");
    expect(await codeOf(c, "SELECT 1")).toBe("25P02");
    await c.query("ROLLBACK");
    expect(await codeOf(c, "SELECT 1")).toBe("ok");
  } finally {
    await c.end();
  }
});
