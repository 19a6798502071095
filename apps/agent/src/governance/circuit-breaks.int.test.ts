import type pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Agent } from "../agent";
import { buildConfig } from "../testing/config-builder";
import { adminQuery, createScratchDatabase } from "../testing/postgres";
import { connectClient, startTestAgent } from "../testing/test-agent";

/** An unnamed Parse/Bind/Execute without parameters (pg's `queryMode`, missing from @types/pg). */
function extended(text: string): pg.QueryConfig {
  return { text, queryMode: "extended" } as pg.QueryConfig;
}


// Circuit breaks end to end, with the real `pg` driver through the agent to a real PostgreSQL: regexes read the
// normalized text of each statement (comments, spacing, case and quoting do not walk around them), statement
// kinds and tables are judged per statement, prepared statements at Parse, and an unqualified name is resolved
// through the session's search path. Each row says what the agent must do with a text; the refused ones must
// not have run (the backend is checked afterwards).

const DB = "agent_circuit_breaks";
const VDB = "breaks";
const login = { user: "app", password: "pw-breaks", database: VDB };
let agent: Agent;
let scratch: { drop(): Promise<void> };

const none = { regex: [], statementKinds: [], tables: [], operations: [] };
const config = buildConfig({
  virtualDatabases: [
    {
      name: VDB,
      backends: [{ name: "pg", database: DB }],
      // No access rule: a plain proxy, so every refusal below is a circuit break's.
      strategy: {
        circuitBreaks: [
          { ...none, name: "no-drop", regex: ["^drop\\s+table\\s"] },
          { ...none, name: "no-truncate", statementKinds: ["truncate"] },
          { ...none, name: "frozen-ledger", tables: ["finance.ledger"], operations: ["delete", "update"] },
          { ...none, name: "no-secrets", tables: ["secrets"] },
        ],
      },
    },
  ],
  credentials: [{ name: "app", password: "pw-breaks", virtualDatabases: [VDB] }],
});

beforeAll(async () => {
  scratch = await createScratchDatabase(DB);
  await adminQuery(
    `CREATE TABLE t (id int PRIMARY KEY, v text);
     INSERT INTO t VALUES (1, 'one');
     CREATE SCHEMA finance;
     CREATE TABLE finance.ledger (id int PRIMARY KEY, amount int);
     INSERT INTO finance.ledger VALUES (1, 10), (2, 20);
     CREATE TABLE public.ledger (id int PRIMARY KEY, amount int);
     INSERT INTO public.ledger VALUES (1, 1), (2, 2), (3, 3);
     CREATE TABLE secrets (k text);`,
    DB,
  );
  agent = await startTestAgent(config);
});

afterAll(async () => {
  await agent?.stop();
  await scratch?.drop();
});

type Row = [sql: string, rule: string | null];

// rule: the circuit break that must refuse it; null: it must run.
const SIMPLE: Row[] = [
  ["DROP TABLE t", "no-drop"],
  ["/* x */ DROP TABLE t", "no-drop"],
  ["-- a line comment\nDROP TABLE t", "no-drop"],
  ["/* nested /* comment */ */DROP TABLE t", "no-drop"],
  ["  dRoP\n\tTaBlE   t", "no-drop"],
  ["DROP/**/TABLE t", "no-drop"],
  ['DROP TABLE"t"', "no-drop"],
  ["SELECT 1; DROP TABLE t", "no-drop"],
  ["select 1; /* second */ drop table t;", "no-drop"],
  ["TRUNCATE t", "no-truncate"],
  ["select 1; truncate t", "no-truncate"],
  ["DELETE FROM finance.ledger WHERE id = 1", "frozen-ledger"],
  ['delete from "finance"."ledger"', "frozen-ledger"],
  ["WITH gone AS (DELETE FROM finance.ledger RETURNING id) SELECT count(*) FROM gone", "frozen-ledger"],
  ["UPDATE finance.ledger SET amount = 0", "frozen-ledger"],
  ["SET search_path = finance, public; DELETE FROM ledger", "frozen-ledger"],
  ["SELECT * FROM secrets", "no-secrets"],
  ["select 1; insert into public.secrets values ('k')", "no-secrets"],
  // Must run: the regex never sees literal values or comments, other kinds and operations pass.
  ["SELECT 'drop table t' AS s", null],
  ["/* drop table t */ SELECT 1", null],
  ["SELECT 1 AS dropped; SELECT 2", null],
  ["SELECT count(*) FROM finance.ledger", null],
  ["DELETE FROM ledger WHERE id = 3", null],
  ["UPDATE t SET v = 'drop table t' WHERE id = 1", null],
  ["DROP TABLE IF EXISTS no_such_table", "no-drop"],
  ["DROP INDEX IF EXISTS no_such_index", null],
];

async function outcome(c: pg.Client, run: () => Promise<unknown>): Promise<string | null> {
  const err = await run().then(
    () => null,
    (e: pg.DatabaseError) => e,
  );
  if (err === null) return null;
  expect(err.code, err.message).toBe("42501");
  const m = /circuit break "([^"]+)" of virtual database "breaks"/.exec(err.message);
  expect(m, err.message).not.toBeNull();
  // The session goes on after a refusal.
  expect((await c.query("select 7 as n")).rows[0].n).toBe(7);
  return m![1]!;
}

describe("circuit breaks on the wire", () => {
  test.each(SIMPLE)("simple query %j → %s", async (sql, rule) => {
    const c = await connectClient(agent, login);
    try {
      expect(await outcome(c, () => c.query(sql))).toBe(rule);
    } finally {
      await c.end();
    }
  });

  test("refused texts did not run: the tables and rows are all there", async () => {
    const r = await adminQuery(
      `SELECT to_regclass('public.t') IS NOT NULL AS t, (SELECT count(*)::int FROM finance.ledger) AS ledger,
              (SELECT sum(amount)::int FROM finance.ledger) AS amount, (SELECT count(*)::int FROM secrets) AS secrets`,
      DB,
    );
    expect(r.rows[0]).toEqual({ t: true, ledger: 2, amount: 30, secrets: 0 });
  });

  test("prepared statements are judged at Parse on their normalized text and tables", async () => {
    const c = await connectClient(agent, login);
    try {
      expect(await outcome(c, () => c.query({ name: "dropper", text: "/* x */ DROP  TABLE t" }))).toBe("no-drop");
      expect(await outcome(c, () => c.query(extended("-- hi\ndrop table t")))).toBe("no-drop");
      expect(await outcome(c, () => c.query("DELETE FROM finance.ledger WHERE id = $1", [1]))).toBe("frozen-ledger");
      expect(await outcome(c, () => c.query({ name: "peek", text: "SELECT * FROM secrets WHERE k = $1", values: ["x"] }))).toBe("no-secrets");
      expect(await outcome(c, () => c.query("SELECT count(*)::int AS n FROM finance.ledger WHERE id > $1", [0]))).toBeNull();
      expect(await outcome(c, () => c.query({ name: "upd", text: "UPDATE t SET v = $1 WHERE id = 1", values: ["drop table t"] }))).toBeNull();
    } finally {
      await c.end();
    }
  });

  test("a table-matched circuit break holds for an unqualified name after SET search_path", async () => {
    const c = await connectClient(agent, login);
    try {
      // On the default path, `ledger` is public.ledger: not frozen.
      expect(await outcome(c, () => c.query("UPDATE ledger SET amount = amount WHERE id = 1"))).toBeNull();
      await c.query("SET search_path = finance, public");
      expect((await c.query("SELECT sum(amount)::int AS s FROM ledger")).rows[0].s).toBe(30);
      expect(await outcome(c, () => c.query("DELETE FROM ledger"))).toBe("frozen-ledger");
      expect(await outcome(c, () => c.query("UPDATE ledger SET amount = $1", [0]))).toBe("frozen-ledger");
      expect(await outcome(c, () => c.query({ name: "wipe", text: "delete from ledger where id = $1", values: [1] }))).toBe("frozen-ledger");
      // RESET below; first a statement prepared on the default path is judged again at Bind on the new path.
      await c.query("RESET search_path");
      const prepared = { name: "wipe-one", text: "DELETE FROM ledger WHERE id = $1", values: [999] };
      expect(await outcome(c, () => c.query(prepared))).toBeNull();
      await c.query("SET search_path = finance, public");
      expect(await outcome(c, () => c.query(prepared))).toBe("frozen-ledger");
      // Back on the default path, once PostgreSQL confirmed it, public.ledger is writable again.
      await c.query("RESET search_path");
      expect(await outcome(c, () => c.query("UPDATE ledger SET amount = amount WHERE id = 2"))).toBeNull();
    } finally {
      await c.end();
    }
    expect((await adminQuery("SELECT count(*)::int AS n, sum(amount)::int AS s FROM finance.ledger", DB)).rows[0]).toEqual({ n: 2, s: 30 });
  });

  test("inside a transaction a refusal aborts it, as PostgreSQL would", async () => {
    const c = await connectClient(agent, login);
    try {
      await c.query("BEGIN");
      await c.query("INSERT INTO t VALUES (50, 'in tx')");
      const err = (await c.query("/* sneaky */ drop TABLE t").catch((e: unknown) => e)) as pg.DatabaseError;
      expect(err.code).toBe("42501");
      expect(err.message).toContain('circuit break "no-drop"');
      await expect(c.query("SELECT 1")).rejects.toMatchObject({ code: "25P02" });
      await c.query("ROLLBACK");
      expect((await c.query("SELECT count(*)::int AS n FROM t WHERE id = 50")).rows[0].n).toBe(0);
    } finally {
      await c.end();
    }
  });
});
