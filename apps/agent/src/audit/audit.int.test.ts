import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Agent } from "../agent";
import { AgentApiClient } from "../config/api-client";
import { buildConfig } from "../testing/config-builder";
import { adminQuery, createScratchDatabase } from "../testing/postgres";
import { StubConsole } from "../testing/stub-console";
import { connectClient, startTestAgent, waitFor } from "../testing/test-agent";
import { AuditPipeline } from "./audit-pipeline";

// The agent's SQL audit trail in-process, against the small stub console: what each kind of statement records,
// and the policy modes. The end-to-end guarantees (the real API, kill -9, an API outage, a full spool) are in
// packages/api/src/agent-protocol/agent-audit.int.test.ts.

const DB = "agent_audit_it";
const TOKEN = "dbmag_audit_test";
let agent: Agent;
let stub: StubConsole;
let db: { drop(): Promise<void> };
let stateDir: string;
const login = (database: string) => ({ user: "app", password: "pw-audit", database });

function events(where: (e: Record<string, unknown>) => boolean = () => true): Record<string, unknown>[] {
  return [...stub.auditEvents.values()].filter(where).sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

beforeAll(async () => {
  db = await createScratchDatabase(DB);
  await adminQuery("CREATE TABLE t (id int PRIMARY KEY, v text)", DB);
  stub = new StubConsole(TOKEN);
  await stub.start();
  stateDir = mkdtempSync(join(tmpdir(), "dbmesh-audit-it-"));
  const log = pino({ level: process.env.AGENT_TEST_LOG ?? "silent" });
  const api = new AgentApiClient({ baseUrl: stub.url, token: TOKEN, userAgent: "test" });
  const audit = new AuditPipeline({ stateDir, maxSpoolBytes: 64 << 20, maxBufferedEvents: 100_000, post: (b, signal) => api.postAudit(b, signal), log, sealAfterMs: 50 });
  const strategy = { circuitBreaks: [{ name: "no-drop", regex: ["^\\s*drop\\b"], statementKinds: [], tables: [], operations: [] }] };
  const backends = [{ name: "pg-main", database: DB }];
  agent = await startTestAgent(
    buildConfig({
      virtualDatabases: [
        { name: "all_db", backends, strategy },
        { name: "literal_db", backends, strategy, audit: { mode: "all", keepLiterals: true } },
        { name: "writes_db", backends, strategy, audit: { mode: "writes" } },
        { name: "denied_db", backends, strategy, audit: { mode: "denied" } },
        { name: "off_db", backends, strategy, audit: { mode: "off" } },
      ],
      credentials: [{ name: "app", password: "pw-audit", virtualDatabases: ["all_db", "literal_db", "writes_db", "denied_db", "off_db"] }],
    }),
    { audit, log },
  );
});

afterAll(async () => {
  await agent?.stop();
  await stub?.stop();
  await db?.drop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("SQL audit events", () => {
  test("simple, multi-statement, extended and refused statements each record what happened", async () => {
    const c = await connectClient(agent, { ...login("all_db") });
    await c.query("SET application_name = 'audit-it'"); // too late for the audit: the startup value is used
    await c.query("INSERT INTO t VALUES (1, 'secret-one'), (2, 'secret-two')");
    await c.query("UPDATE t SET v = 'x' WHERE id = 1; SELECT * FROM t WHERE id IN (1, 2)");
    await c.query({ text: "SELECT v FROM t WHERE id = $1", values: [2] });
    await c.query({ name: "by-id", text: "SELECT v FROM t WHERE id = $1", values: [1] });
    await expect(c.query("SELECT * FROM no_such_table")).rejects.toMatchObject({ code: "42P01" });
    // Not last: pg rejects at the ErrorResponse, before the ReadyForQuery behind it, so an end() right after
    // could reach the agent first, and "SELECT 2" would then be recorded as in flight when the client left.
    // The next query is sent only after that ReadyForQuery, which tells the agent "SELECT 2" never ran.
    await expect(c.query("SELECT 1/0; SELECT 2")).rejects.toMatchObject({ code: "22012" });
    await expect(c.query("DROP TABLE t")).rejects.toMatchObject({ code: "42501" });
    await c.end();
    await waitFor(() => events((e) => e.virtualDatabase === "all_db").length >= 9, 5_000, "9 events");
    const got = events((e) => e.virtualDatabase === "all_db").map((e) => ({
      statement: e.statement,
      kind: e.kind,
      decision: e.decision,
      rows: e.rows,
      sqlstate: e.sqlstate,
      rule: e.rule,
    }));
    expect(got).toEqual([
      { statement: "SET application_name = $1", kind: "set", decision: "allowed", rows: null, sqlstate: null, rule: null },
      { statement: "INSERT INTO t VALUES ($1, $2), ($3, $4)", kind: "insert", decision: "allowed", rows: 2, sqlstate: null, rule: null },
      { statement: "UPDATE t SET v = $1 WHERE id = $2", kind: "update", decision: "allowed", rows: 1, sqlstate: null, rule: null },
      { statement: "SELECT * FROM t WHERE id IN ($1, $2)", kind: "select", decision: "allowed", rows: 2, sqlstate: null, rule: null },
      { statement: "SELECT v FROM t WHERE id = $1", kind: "select", decision: "allowed", rows: 1, sqlstate: null, rule: null },
      { statement: "SELECT v FROM t WHERE id = $1", kind: "select", decision: "allowed", rows: 1, sqlstate: null, rule: null },
      { statement: "SELECT * FROM no_such_table", kind: "select", decision: "allowed", rows: null, sqlstate: "42P01", rule: null },
      { statement: "SELECT $1/$2", kind: "select", decision: "allowed", rows: null, sqlstate: "22012", rule: null },
      { statement: "DROP TABLE t", kind: "ddl", decision: "denied", rows: null, sqlstate: "42501", rule: "no-drop" },
    ]);
    const all = events((e) => e.virtualDatabase === "all_db");
    for (const e of all) {
      expect(e).toMatchObject({ credential: "app", virtualDatabase: "all_db", backend: "pg-main" });
      expect(e.clientAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(e.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(all.filter((e) => e.decision === "allowed").every((e) => typeof e.durationUs === "number")).toBe(true);
    // Schemas as the access decision resolved them (an unqualified name against the search path).
    expect(all[1]!.tables).toEqual([{ schema: "public", name: "t", operation: "insert" }]);
    // The two literal variants of one SELECT share a fingerprint.
    expect(all[4]!.fingerprint).toBe(all[5]!.fingerprint);
    expect(JSON.stringify(all)).not.toContain("secret-one");
  });

  test("keepLiterals keeps the text; writes, denied and off modes record only what they say", async () => {
    for (const vdb of ["literal_db", "writes_db", "denied_db", "off_db"]) {
      const c = await connectClient(agent, login(vdb));
      await c.query("SELECT v FROM t WHERE id = 2");
      await c.query("UPDATE t SET v = 'kept' WHERE id = 2");
      await expect(c.query("DROP TABLE t")).rejects.toMatchObject({ code: "42501" });
      await c.end();
    }
    await waitFor(() => events((e) => e.virtualDatabase === "denied_db").length >= 1 && events((e) => e.virtualDatabase === "literal_db").length >= 3, 5_000, "events");
    await new Promise((r) => setTimeout(r, 300));
    const texts = (vdb: string) => events((e) => e.virtualDatabase === vdb).map((e) => `${e.decision}: ${e.statement}`);
    expect(texts("literal_db")).toEqual(["allowed: SELECT v FROM t WHERE id = 2", "allowed: UPDATE t SET v = 'kept' WHERE id = 2", "denied: DROP TABLE t"]);
    expect(texts("writes_db")).toEqual(["allowed: UPDATE t SET v = $1 WHERE id = $2", "denied: DROP TABLE t"]);
    expect(texts("denied_db")).toEqual(["denied: DROP TABLE t"]);
    expect(texts("off_db")).toEqual([]);
  });

  test("/metrics counts spooled and sent events and shows the spool size", async () => {
    const text = await agent.metrics.registry.metrics();
    const value = (outcome: string) => Number(new RegExp(`dbmesh_agent_audit_events_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1]);
    expect(value("spooled")).toBeGreaterThanOrEqual(15);
    expect(value("sent")).toBe(value("spooled"));
    expect(value("dropped")).toBe(0);
    expect(text).toMatch(/dbmesh_agent_audit_spool_bytes \d+/);
  });
});

