import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Agent } from "../agent";
import { buildConfig } from "../testing/config-builder";
import { adminQuery, createScratchDatabase } from "../testing/postgres";
import { connectClient, startTestAgent } from "../testing/test-agent";

/** An unnamed Parse/Bind/Execute without parameters (pg's `queryMode`, missing from @types/pg). */
function extended(text: string): pg.QueryConfig {
  return { text, queryMode: "extended" } as pg.QueryConfig;
}


// Circuit breaks and concurrency controls, enforced on the wire; a refused statement never breaks the session.

const DB = "agent_rules_it";
let agent: Agent;
let db: { drop(): Promise<void> };
const creds = { user: "app", password: "pw-rules", database: "guarded" };
const sessionCreds = { ...creds, database: "guarded_session" };

beforeAll(async () => {
  db = await createScratchDatabase(DB);
  await adminQuery("CREATE TABLE t (id int PRIMARY KEY, v text)", DB);
  const strategy = {
    circuitBreaks: [
      { name: "no-drop", regex: ["^\\s*drop\\b"], statementKinds: [], tables: [], operations: [] },
      { name: "no-truncate", regex: [], statementKinds: ["truncate" as const], tables: [], operations: [] },
    ],
    concurrencyControls: [{ name: "slow-lane", regex: ["pg_sleep"], statementKinds: [], maxConcurrency: 1, waitTimeoutMs: 200 }],
  };
  agent = await startTestAgent(
    buildConfig({
      virtualDatabases: [
        { name: "guarded", backends: [{ name: "pg-main", database: DB }], strategy },
        { name: "guarded_session", backends: [{ name: "pg-main", database: DB }], strategy: { ...strategy, connectionPool: { mode: "session" } } },
      ],
      credentials: [{ name: "app", password: "pw-rules", virtualDatabases: ["guarded", "guarded_session"] }],
    }),
  );
});

afterAll(async () => {
  await agent?.stop();
  await db?.drop();
});

for (const [label, login] of [
  ["transaction pooling", creds],
  ["session pooling", sessionCreds],
] as const) {
  describe(`circuit breaks (${label})`, () => {
    test("a denied simple query gets 42501 naming the rule and virtual database; the session goes on", async () => {
      const c = await connectClient(agent, login);
      try {
        const err = (await c.query("DROP TABLE t").catch((e: unknown) => e)) as pg.DatabaseError;
        expect(err.code).toBe("42501");
        expect(err.message).toContain(`circuit break "no-drop" of virtual database "${login.database}"`);
        expect((await c.query("select count(*)::int as n from t")).rows[0].n).toBe(0);
        const kind = (await c.query("TRUNCATE t").catch((e: unknown) => e)) as pg.DatabaseError;
        expect(kind.code).toBe("42501");
        expect(kind.message).toContain('"no-truncate"');
      } finally {
        await c.end();
      }
      expect((await adminQuery("select to_regclass('t') is not null as exists", DB)).rows[0].exists).toBe(true);
    });

    test("a denied extended-protocol statement: error, then the session goes on", async () => {
      const c = await connectClient(agent, login);
      try {
        // An unnamed Parse, judged on its normalized text (the comment does not hide the DROP).
        await expect(c.query(extended("/* x */ DROP  TABLE t"))).rejects.toMatchObject({ code: "42501" });
        await expect(c.query({ name: "dropper", text: "drop table t", values: [] })).rejects.toMatchObject({ code: "42501" });
        expect((await c.query("select $1::int as n", [7])).rows[0].n).toBe(7);
      } finally {
        await c.end();
      }
    });

    test("a denied statement inside a transaction aborts it, as any error would", async () => {
      const c = await connectClient(agent, login);
      try {
        await c.query("begin");
        await c.query("insert into t values (100, 'in tx')");
        const err = (await c.query("drop table t").catch((e: unknown) => e)) as pg.DatabaseError;
        expect(err.code).toBe("42501");
        expect(err.message).toContain('"no-drop"');
        await expect(c.query("select 1")).rejects.toMatchObject({ code: "25P02" });
        await c.query("commit"); // becomes a ROLLBACK
        expect((await c.query("select count(*)::int as n from t where id = 100")).rows[0].n).toBe(0);
        // Same with the extended protocol.
        await c.query("begin");
        await c.query("insert into t values ($1, $2)", [101, "in tx"]);
        await expect(c.query("drop table t -- $1", [])).rejects.toMatchObject({ code: "42501" });
        await c.query("rollback");
        expect((await c.query("select count(*)::int as n from t where id = 101")).rows[0].n).toBe(0);
      } finally {
        await c.end();
      }
    });
  });
}

describe("concurrency controls", () => {
  test("past maxConcurrency a statement waits up to waitTimeoutMs, then gets 53300; others are not affected", async () => {
    const a = await connectClient(agent, creds);
    const b = await connectClient(agent, creds);
    try {
      const slow = a.query("select pg_sleep(0.6)");
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      const err = (await b.query("select pg_sleep(0.01)").catch((e: unknown) => e)) as pg.DatabaseError;
      expect(err.code).toBe("53300");
      expect(err.message).toMatch(/concurrency limit of rule "slow-lane" of virtual database "guarded" reached: 1 matching statements already running; waited \d+ ms/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      // Statements outside the rule run meanwhile, and the refused session still works.
      expect((await b.query("select 5 as n")).rows[0].n).toBe(5);
      await slow;
      // Once the slot is free, the statement runs.
      await b.query("select pg_sleep(0.01)");
    } finally {
      await a.end();
      await b.end();
    }
  });

  test("a waiting statement runs as soon as the slot frees up", async () => {
    const a = await connectClient(agent, creds);
    const b = await connectClient(agent, creds);
    try {
      const slow = a.query("select pg_sleep(0.1)");
      await new Promise((r) => setTimeout(r, 20));
      const r = await b.query("select pg_sleep(0.01), 'ran' as s");
      expect(r.rows[0].s).toBe("ran");
      await slow;
    } finally {
      await a.end();
      await b.end();
    }
  });

  test("denied statements are counted", async () => {
    const text = await agent.metrics.registry.metrics();
    expect(text).toMatch(/dbmesh_agent_denied_statements_total\{virtual_database="guarded",rule="no-drop",reason="circuit_break"\} [1-9]/);
    expect(text).toMatch(/dbmesh_agent_denied_statements_total\{virtual_database="guarded",rule="slow-lane",reason="concurrency"\} [1-9]/);
  });
});
