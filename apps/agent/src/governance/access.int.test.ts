import { accessPolicyOf, decideStatements } from "@dbmesh/mesh";
import { loadSqlAnalyzer, type SqlAnalyzer } from "@dbmesh/sql";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Agent } from "../agent";
import { buildConfig } from "../testing/config-builder";
import { adminQuery, createScratchDatabase } from "../testing/postgres";
import { psql } from "../testing/psql";
import { connectClient, startTestAgent } from "../testing/test-agent";
import { bindUnnamed, EXECUTE_UNNAMED, parse, query, SYNC, typedMessage } from "../pg/messages";
import { takeOver } from "../testing/raw-client";

// Access rules enforced on the wire, end to end: the real `pg` driver (and psql for COPY) through the agent to
// a real PostgreSQL. Each row of the table is a statement with the tables and operations the decision must name
// and what the agent must do with it; the bypass attempts (comments, quoting, case, multi-statements, writable
// CTEs, SELECT … INTO, CREATE TABLE … AS, COPY, DO, EXECUTE, dangerous functions, SET ROLE, search_path) are
// among them. The expected tables are checked against decideStatements() — the code the console's "try a
// statement" runs — and the outcome against the agent, so both must agree with the table.

const DB = "agent_access_rules";
const VDB = "gov";
const app = { user: "app", password: "pw-access", database: VDB };
let agent: Agent;
let analyzer: SqlAnalyzer;
let scratch: { drop(): Promise<void> };

const config = buildConfig({
  virtualDatabases: [
    {
      name: VDB,
      backends: [{ name: "pg", database: DB }],
      accessDefault: "deny",
      accessRules: [
        { name: "read-all", effect: "ALLOW", operations: ["select"], tables: ["*"] },
        { name: "deny-audit", effect: "DENY", operations: ["all"], tables: ["audit.*"] },
        // Credential rules come before rules for everyone (see access-rule-order.ts): this one must name app to beat app-write.
        { name: "deny-secrets", credential: "app", effect: "DENY", operations: ["all"], tables: ["public.secrets"] },
        { name: "deny-shadow", effect: "DENY", operations: ["all"], tables: ["pg_catalog.pg_shadow", "pg_catalog.pg_authid"] },
        { name: "app-write", credential: "app", effect: "ALLOW", operations: ["insert", "update", "delete"], tables: ["public.*"] },
        { name: "app-copy-orders", credential: "app", effect: "ALLOW", operations: ["copy"], tables: ["public.orders"] },
        { name: "app-call-bump", credential: "app", effect: "ALLOW", operations: ["call"], tables: ["public.bump"] },
      ],
    },
  ],
  credentials: [{ name: "app", password: app.password, virtualDatabases: [VDB] }],
});

type Outcome =
  | { allowed: true; rule: string | null }
  /** rule: the access rule named in the message; null: the default or "no rule allows it". */
  | { allowed: false; rule: string | null; code?: string };

interface Case {
  sql: string;
  /** `operation:schema.name` for every table and call the decision names (order ignored). */
  tables: string[];
  expect: Outcome;
  /** Run with psql (COPY … TO STDOUT, which the pg driver cannot read). */
  psql?: boolean;
}

const allow = (rule: string | null): Outcome => ({ allowed: true, rule });
const deny = (rule: string | null, code = "42501"): Outcome => ({ allowed: false, rule, code });

const CASES: Case[] = [
  // Plain reads and writes the policy allows.
  { sql: "SELECT * FROM customers", tables: ["select:public.customers"], expect: allow("read-all") },
  { sql: "select * from ORDERS", tables: ["select:public.orders"], expect: allow("read-all") },
  { sql: 'SELECT * FROM "public"."orders"', tables: ["select:public.orders"], expect: allow("read-all") },
  { sql: "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id", tables: ["select:public.orders", "select:public.customers"], expect: allow("read-all") },
  { sql: "SELECT * FROM order_summary", tables: ["select:public.order_summary"], expect: allow("read-all") },
  { sql: "WITH c AS (SELECT id FROM customers) SELECT count(*) FROM c", tables: ["select:public.customers"], expect: allow("read-all") },
  { sql: "SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers)", tables: ["select:public.orders", "select:public.customers"], expect: allow("read-all") },
  { sql: "INSERT INTO orders (customer_id) VALUES (1)", tables: ["insert:public.orders"], expect: allow("app-write") },
  { sql: "UPDATE public.orders SET status = 'paid' WHERE id = -1", tables: ["update:public.orders"], expect: allow("app-write") },
  { sql: "DELETE FROM orders WHERE id = -1", tables: ["delete:public.orders"], expect: allow("app-write") },
  { sql: "INSERT INTO orders (customer_id) SELECT id FROM customers WHERE false", tables: ["insert:public.orders", "select:public.customers"], expect: allow("read-all") },
  { sql: "WITH up AS (UPDATE orders SET status = status WHERE false RETURNING id) SELECT count(*) FROM up", tables: ["update:public.orders"], expect: allow("app-write") },
  { sql: "SELECT id FROM orders ORDER BY id LIMIT 1 FOR UPDATE", tables: ["select:public.orders", "update:public.orders"], expect: allow("app-write") },
  { sql: "EXPLAIN SELECT * FROM orders", tables: ["select:public.orders"], expect: allow("read-all") },
  { sql: "EXPLAIN ANALYZE SELECT * FROM customers", tables: ["select:public.customers"], expect: allow("read-all") },
  { sql: "SELECT 1", tables: [], expect: allow(null) },
  { sql: "SELECT lower('X'), now()", tables: [], expect: allow(null) },
  { sql: "SHOW search_path", tables: [], expect: allow(null) },
  { sql: "SET application_name = 'access-test'", tables: [], expect: allow(null) },
  { sql: "CALL bump()", tables: ["call:public.bump"], expect: allow("app-call-bump") },
  { sql: "COPY orders TO STDOUT", tables: ["copy:public.orders"], expect: allow("app-copy-orders"), psql: true },
  { sql: "COPY (SELECT * FROM orders) TO STDOUT", tables: ["select:public.orders", "copy:public.orders"], expect: allow("app-copy-orders"), psql: true },
  { sql: "PREPARE get_customer AS SELECT * FROM customers WHERE id = $1", tables: ["select:public.customers"], expect: allow("read-all") },
  { sql: "DEALLOCATE get_customer", tables: [], expect: allow(null) },

  // DDL and TRUNCATE: no rule allows them; the default of the virtual database is deny.
  { sql: "DROP TABLE customers", tables: ["ddl:public.customers"], expect: deny(null) },
  { sql: "drop table if exists public.orders cascade", tables: ["ddl:public.orders"], expect: deny(null) },
  { sql: "CREATE TABLE t2 (x int)", tables: ["ddl:public.t2"], expect: deny(null) },
  { sql: "ALTER TABLE orders ADD COLUMN x int", tables: ["ddl:public.orders"], expect: deny(null) },
  { sql: "TRUNCATE orders", tables: ["truncate:public.orders"], expect: deny(null) },
  { sql: "CREATE INDEX ON orders (status)", tables: ["ddl:public.orders"], expect: deny(null) },
  { sql: "CREATE SCHEMA evil", tables: ["ddl:public.*"], expect: deny(null) },
  { sql: "GRANT SELECT ON orders TO PUBLIC", tables: ["ddl:public.orders"], expect: deny(null) },
  { sql: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", tables: ["ddl:public.*"], expect: deny(null) },
  { sql: "VACUUM orders", tables: ["ddl:public.orders"], expect: deny(null) },
  { sql: "MERGE INTO orders o USING customers c ON o.customer_id = c.id WHEN MATCHED THEN UPDATE SET status = 'm'", tables: ["merge:public.orders", "select:public.customers"], expect: deny(null) },

  // The audit schema and the secrets table, however they are written.
  { sql: "SELECT * FROM audit.login_history", tables: ["select:audit.login_history"], expect: deny("deny-audit") },
  { sql: "select * from AUDIT.LOGIN_HISTORY", tables: ["select:audit.login_history"], expect: deny("deny-audit") },
  { sql: 'SELECT * FROM "audit"."login_history"', tables: ["select:audit.login_history"], expect: deny("deny-audit") },
  { sql: "SELECT * FROM audit . login_history", tables: ["select:audit.login_history"], expect: deny("deny-audit") },
  { sql: "SELECT * FROM /* hidden */ audit.login_history -- trailing", tables: ["select:audit.login_history"], expect: deny("deny-audit") },
  { sql: "SELECT * FROM secrets", tables: ["select:public.secrets"], expect: deny("deny-secrets") },
  { sql: "SELECT * FROM orders WHERE customer_id IN (SELECT id FROM secrets)", tables: ["select:public.orders", "select:public.secrets"], expect: deny("deny-secrets") },
  { sql: "LOCK TABLE secrets", tables: ["update:public.secrets"], expect: deny("deny-secrets") },
  // Row locks need what PostgreSQL asks for: UPDATE.
  { sql: "SELECT * FROM customers c JOIN audit.login_history h ON true FOR SHARE", tables: ["select:public.customers", "update:public.customers", "select:audit.login_history", "update:audit.login_history"], expect: deny("deny-audit") },
  // Multi-statement texts: every statement is checked, nothing runs.
  { sql: "SELECT 1; DELETE FROM audit.login_history", tables: ["delete:audit.login_history"], expect: deny("deny-audit") },
  { sql: "SELECT * FROM customers; DROP TABLE orders", tables: ["select:public.customers", "ddl:public.orders"], expect: deny(null) },
  // Writes hidden in CTEs and subqueries.
  { sql: "WITH gone AS (DELETE FROM audit.login_history RETURNING *) SELECT count(*) FROM gone", tables: ["delete:audit.login_history"], expect: deny("deny-audit") },
  { sql: "WITH x AS (UPDATE secrets SET v = v RETURNING 1) SELECT * FROM x", tables: ["update:public.secrets"], expect: deny("deny-secrets") },
  { sql: "INSERT INTO orders (customer_id) SELECT count(*) FROM audit.login_history", tables: ["insert:public.orders", "select:audit.login_history"], expect: deny("deny-audit") },
  { sql: "UPDATE orders SET status = (SELECT who FROM audit.login_history LIMIT 1)", tables: ["update:public.orders", "select:audit.login_history"], expect: deny("deny-audit") },
  // Statements that create tables are DDL, whatever they look like.
  { sql: "SELECT * INTO new_copy FROM customers", tables: ["ddl:public.new_copy", "select:public.customers"], expect: deny(null) },
  { sql: "CREATE TABLE copy2 AS SELECT * FROM customers", tables: ["ddl:public.copy2", "select:public.customers"], expect: deny(null) },
  { sql: "CREATE TABLE copy3 AS SELECT * FROM audit.login_history", tables: ["ddl:public.copy3", "select:audit.login_history"], expect: deny("deny-audit") },
  // EXPLAIN ANALYZE runs what it explains.
  { sql: "EXPLAIN ANALYZE DELETE FROM audit.login_history", tables: ["delete:audit.login_history"], expect: deny("deny-audit") },
  { sql: "EXPLAIN (ANALYZE, FORMAT JSON) CREATE TABLE x AS SELECT 1", tables: ["ddl:public.x"], expect: deny(null) },
  // What the agent cannot see into: only a rule allowing `call`/`copy` lets it through.
  { sql: "DO $$ BEGIN DELETE FROM audit.login_history; END $$", tables: ["call:.do"], expect: deny(null) },
  { sql: "EXECUTE get_customer(1)", tables: ["call:.execute"], expect: deny(null) },
  { sql: "COPY customers TO STDOUT", tables: ["copy:public.customers"], expect: deny(null) },
  { sql: "COPY (SELECT * FROM customers) TO STDOUT", tables: ["select:public.customers", "copy:public.customers"], expect: deny(null) },
  { sql: "COPY orders FROM '/etc/passwd'", tables: ["copy:public.orders", "call:.copy_file"], expect: deny(null) },
  { sql: "COPY orders TO PROGRAM 'id'", tables: ["copy:public.orders", "call:.copy_program"], expect: deny(null) },
  { sql: "LOAD 'auto_explain'", tables: ["call:.load"], expect: deny(null) },
  { sql: "SELECT pg_read_file('/etc/passwd')", tables: ["call:pg_catalog.pg_read_file"], expect: deny(null) },
  { sql: "SELECT pg_catalog.pg_read_file('/etc/passwd')", tables: ["call:pg_catalog.pg_read_file"], expect: deny(null) },
  { sql: "SELECT PG_READ_FILE('/etc/passwd')", tables: ["call:pg_catalog.pg_read_file"], expect: deny(null) },
  { sql: 'SELECT "pg_read_file"(\'/etc/passwd\')', tables: ["call:pg_catalog.pg_read_file"], expect: deny(null) },
  { sql: "SELECT * FROM pg_ls_dir('.')", tables: ["call:pg_catalog.pg_ls_dir"], expect: deny(null) },
  { sql: "SELECT pg_terminate_backend(pg_backend_pid())", tables: ["call:pg_catalog.pg_terminate_backend"], expect: deny(null) },
  { sql: "SELECT lo_import('/etc/passwd')", tables: ["call:pg_catalog.lo_import"], expect: deny(null) },
  { sql: "SELECT query_to_xml('select * from audit.login_history', true, false, '')", tables: ["call:pg_catalog.query_to_xml"], expect: deny(null) },
  { sql: "SELECT set_config('search_path', 'audit', false)", tables: ["call:pg_catalog.set_config"], expect: deny(null) },
  { sql: "SET ROLE postgres", tables: ["call:.set_role"], expect: deny(null) },
  { sql: "SET SESSION AUTHORIZATION postgres", tables: ["call:.set_role"], expect: deny(null) },
  // A search path set earlier in the same text moves the names after it.
  { sql: "SET search_path = audit, public; SELECT * FROM login_history", tables: ["select:audit.login_history", "select:public.login_history"], expect: deny("deny-audit") },
  { sql: "SET SCHEMA 'audit'; SELECT count(*) FROM login_history", tables: ["select:audit.login_history", "select:public.login_history"], expect: deny("deny-audit") },
  { sql: "TABLE audit.login_history", tables: ["select:audit.login_history"], expect: deny("deny-audit") },
  { sql: "SET LOCAL ROLE postgres", tables: ["call:.set_role"], expect: deny(null) },
  { sql: "RESET ROLE", tables: [], expect: allow(null) },
  // System catalogs: an unqualified pg_* name may resolve to pg_catalog, which PostgreSQL searches first.
  { sql: "SELECT count(*) FROM pg_class", tables: ["select:pg_catalog.pg_class", "select:public.pg_class"], expect: allow("read-all") },
  { sql: "SELECT passwd FROM pg_shadow", tables: ["select:pg_catalog.pg_shadow", "select:public.pg_shadow"], expect: deny("deny-shadow") },
  { sql: "SELECT rolpassword FROM pg_catalog.pg_authid", tables: ["select:pg_catalog.pg_authid"], expect: deny("deny-shadow") },
  // Fail closed.
  { sql: "SELEC * FRM orders", tables: [], expect: deny(null, "42601") },
];

beforeAll(async () => {
  scratch = await createScratchDatabase(DB);
  await adminQuery(
    `CREATE SCHEMA audit;
     CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL DEFAULT 'c');
     CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, status text NOT NULL DEFAULT 'new');
     CREATE TABLE secrets (id int, v text);
     CREATE TABLE audit.login_history (id serial, who text);
     CREATE VIEW order_summary AS SELECT status, count(*) AS n FROM orders GROUP BY status;
     CREATE PROCEDURE bump() LANGUAGE sql AS $$ UPDATE orders SET status = status WHERE false $$;
     INSERT INTO customers (name) VALUES ('ada'), ('bob');
     INSERT INTO audit.login_history (who) VALUES ('ada');`,
    DB,
  );
  analyzer = await loadSqlAnalyzer();
  agent = await startTestAgent(config);
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await scratch?.drop();
});

function functionCall(oid: number): Buffer {
  const body = Buffer.alloc(10);
  body.writeInt32BE(oid, 0); // then: 0 argument formats, 0 arguments, result format 0
  return typedMessage(0x46, body);
}

function decided(sql: string) {
  const analysis = analyzer.analyze(sql);
  const policy = accessPolicyOf(config.virtualDatabases[0]!);
  return decideStatements({ policy, credential: "app", statements: analysis.parts, error: analysis.error, userSchemas: ["postgres"] });
}

async function run(c: pg.Client, sql: string): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  try {
    await c.query(sql);
    return { ok: true };
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { ok: false, code: e.code ?? "?", message: e.message };
  }
}

function expectRefusal(r: Awaited<ReturnType<typeof run>>, rule: string | null, code = "42501"): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.code).toBe(code);
  if (code !== "42501") return;
  if (rule !== null) expect(r.message).toContain(`access rule "${rule}" of virtual database "${VDB}"`);
  else expect(r.message).toMatch(new RegExp(`the default of virtual database "${VDB}"|no access rule of virtual database "${VDB}" allows`));
}

describe("the statement table (decideStatements and the agent agree)", () => {
  test(`has at least 60 statements (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  test.each(CASES.map((c) => [c.sql, c] as const))("%s", async (_sql, c) => {
    // 1. The shared decision: tables, operations, verdict, rule.
    const d = decided(c.sql);
    const names = [...new Set(d.tables.map((t) => `${t.operation}:${t.schema}.${t.name}`))].sort();
    expect(names).toEqual([...new Set(c.tables)].sort());
    expect(d.allowed).toBe(c.expect.allowed);
    if (c.expect.allowed || c.expect.code === "42501") expect(d.rule).toBe(c.expect.rule);

    // 2. The agent on the wire.
    if (c.psql) {
      const port = agent.address?.port as number;
      const out = await psql(port, { ...app, args: ["-v", "ON_ERROR_STOP=1", "-c", c.sql] });
      if (c.expect.allowed) expect(out.code, out.stderr).toBe(0);
      else expect(out.stderr).toMatch(/permission denied/);
      return;
    }
    const client = await connectClient(agent, app);
    try {
      const r = await run(client, c.sql);
      if (c.expect.allowed) {
        // Allowed means forwarded: PostgreSQL may still fail it, but never with a refusal of the agent's.
        expect(r.ok ? "ok" : r.code).not.toMatch(/^(42501|42601|53400)$/);
      } else {
        expectRefusal(r, c.expect.rule, c.expect.code);
      }
      // The session stays usable after a refusal.
      expect((await client.query("SELECT 1 AS one")).rows[0].one).toBe(1);
    } finally {
      await client.end();
    }
  });

  test("nothing the table refused reached the database", async () => {
    const history = await adminQuery("SELECT count(*)::int AS n FROM audit.login_history", DB);
    expect(history.rows[0].n).toBe(1);
    const tables = await adminQuery("SELECT string_agg(relname, ',' ORDER BY relname) AS t FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace", DB);
    expect(tables.rows[0].t).toBe("customers,orders,secrets");
  });
});

describe("sessions", () => {
  test("a refusal inside a transaction aborts it as PostgreSQL would: 25P02 until ROLLBACK, then the session works", async () => {
    const c = await connectClient(agent, app);
    try {
      await c.query("BEGIN");
      await c.query("INSERT INTO orders (customer_id) VALUES (42)");
      expectRefusal(await run(c, "DROP TABLE customers"), null);
      const after = await run(c, "SELECT 1");
      expect(after.ok ? "ok" : after.code).toBe("25P02");
      await c.query("ROLLBACK");
      expect((await c.query("SELECT count(*)::int AS n FROM orders WHERE customer_id = 42")).rows[0].n).toBe(0);
      // And a COMMIT of an aborted transaction rolls back, as PostgreSQL does.
      await c.query("BEGIN");
      expectRefusal(await run(c, "SELECT * FROM audit.login_history"), "deny-audit");
      const commit = await c.query("COMMIT");
      expect(commit.command).toBe("ROLLBACK");
    } finally {
      await c.end();
    }
  });

  test("prepared statements: checked at Parse; a Bind of a refused one fails cleanly; a later search path re-checks a Bind", async () => {
    const c = await connectClient(agent, app);
    try {
      const refused = { name: "lh_audit", text: "SELECT * FROM audit.login_history WHERE id = $1", values: [1] };
      expectRefusal(await c.query(refused).then(() => ({ ok: true as const }), (e) => ({ ok: false as const, code: e.code, message: e.message })), "deny-audit");
      expectRefusal(await c.query("SELECT * FROM secrets WHERE id = $1", [1]).then(() => ({ ok: true as const }), (e) => ({ ok: false as const, code: e.code, message: e.message })), "deny-secrets");
      expect((await c.query("SELECT $1::int AS n", [7])).rows[0].n).toBe(7);

      // Prepared while the name resolves to public (where no such table exists: PostgreSQL says so) …
      const named = { name: "lh", text: "SELECT * FROM login_history" };
      expect(await c.query(named).then(() => "ok", (e: { code?: string }) => e.code)).toBe("42P01");
      const ok = { name: "cust", text: "SELECT count(*)::int AS n FROM customers" };
      expect((await c.query(ok)).rows[0].n).toBe(2);
      // … then the search path moves it to audit: executing it again is refused, and so is an unqualified read
      // of a table that might now exist in audit too.
      await c.query("SET search_path = audit, public");
      expectRefusal(await c.query(named).then(() => ({ ok: true as const }), (e) => ({ ok: false as const, code: e.code, message: e.message })), "deny-audit");
      expectRefusal(await run(c, "SELECT * FROM login_history"), "deny-audit");
      expectRefusal(await run(c, "SELECT * FROM customers"), "deny-audit");
      expect((await c.query("SELECT count(*)::int AS n FROM public.customers")).rows[0].n).toBe(2);
      // RESET, answered without error outside a transaction: back to the default path.
      await c.query("RESET search_path");
      expect((await c.query(ok)).rows[0].n).toBe(2);
      expect(await run(c, "SELECT * FROM login_history").then((r) => (r.ok ? "ok" : r.code))).toBe("42P01");
    } finally {
      await c.end();
    }
  });

  test("raw protocol: Bind/Execute of a refused Parse fail cleanly (26000), FunctionCall is refused (42501), the session goes on", async () => {
    const c = await connectClient(agent, app);
    const raw = takeOver(c);
    try {
      // Parse refused (the rest of the cycle is skipped), then a later cycle binds the statement anyway.
      let answers = await raw.exchange([parse("s1", "SELECT * FROM audit.login_history"), SYNC], 1);
      expect(answers.errors).toEqual([expect.objectContaining({ C: "42501", M: expect.stringContaining('access rule "deny-audit"') })]);
      answers = await raw.exchange([bindUnnamed("s1"), EXECUTE_UNNAMED, SYNC], 1);
      expect(answers.errors.map((e) => e.C)).toEqual(["26000"]);
      // The same for the unnamed statement: an earlier allowed unnamed statement must not run in its place.
      answers = await raw.exchange([parse("", "SELECT 1"), SYNC, parse("", "SELECT * FROM secrets"), SYNC], 2);
      expect(answers.errors.map((e) => e.C)).toEqual(["42501"]);
      answers = await raw.exchange([bindUnnamed(""), EXECUTE_UNNAMED, SYNC], 1);
      expect(answers.errors.map((e) => e.C)).toEqual(["26000"]);
      // FunctionCall names a function by OID only (2026: pg_backend_pid): refused unless a rule allows `call` on function_call.
      answers = await raw.exchange([functionCall(2026), query("SELECT 1")], 2);
      expect(answers.errors).toEqual([expect.objectContaining({ C: "42501", M: expect.stringContaining("function_call") })]);
      expect(answers.types.filter((t) => t === "D")).toHaveLength(1); // the SELECT 1 row
    } finally {
      raw.close();
    }
  });

  test("a SET search_path that PostgreSQL rolled back still counts: the agent never narrows on a rolled-back SET", async () => {
    const c = await connectClient(agent, app);
    try {
      await c.query("BEGIN");
      await c.query("SET search_path = audit");
      await c.query("ROLLBACK");
      // PostgreSQL is back on public, but the agent cannot tell a rollback from a commit: it stays strict.
      expectRefusal(await run(c, "SELECT * FROM login_history"), "deny-audit");
      await c.query("SET search_path = public");
      expect(await run(c, "SELECT * FROM login_history").then((r) => (r.ok ? "ok" : r.code))).toBe("42P01");
      // SET then an error in the same implicit transaction: PostgreSQL undoes the SET, the agent keeps both.
      expect((await run(c, "SET search_path = audit; SELECT 1/0")).ok).toBe(false);
      expectRefusal(await run(c, "SELECT * FROM login_history"), "deny-audit");
      await c.query("DISCARD ALL");
      expect(await run(c, "SELECT * FROM login_history").then((r) => (r.ok ? "ok" : r.code))).toBe("42P01");
    } finally {
      await c.end();
    }
  });
});
