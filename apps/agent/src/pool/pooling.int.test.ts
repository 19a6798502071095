import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Agent } from "../agent";
import { query } from "../pg/messages";
import { buildConfig } from "../testing/config-builder";
import { adminQuery, createScratchDatabase } from "../testing/postgres";
import { takeOver } from "../testing/raw-client";
import { connectClient, startTestAgent, waitFor } from "../testing/test-agent";

// Transaction and session pooling against the real PostgreSQL: many clients over few server connections.

const DB = "agent_pooling_it";
let agent: Agent;
let db: { drop(): Promise<void> };

const tx = { user: "app", password: "pw-tx", database: "tx" };
const session = { user: "app", password: "pw-tx", database: "sess" };
const tiny = { user: "app", password: "pw-tx", database: "tiny" };

beforeAll(async () => {
  db = await createScratchDatabase(DB);
  await adminQuery("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)", DB);
  await adminQuery("INSERT INTO counters SELECT g, 0 FROM generate_series(1, 20) g", DB);
  agent = await startTestAgent(
    buildConfig({
      virtualDatabases: [
        { name: "tx", backends: [{ name: "pg-main", database: DB }], strategy: { connectionPool: { mode: "transaction", maxSize: 3 } } },
        { name: "sess", backends: [{ name: "pg-main", database: DB }], strategy: { connectionPool: { mode: "session", maxSize: 2 } } },
        {
          name: "tiny",
          backends: [{ name: "pg-main", database: DB }],
          strategy: { connectionPool: { mode: "transaction", maxSize: 1, acquireTimeoutMs: 300 } },
        },
        { name: "one", backends: [{ name: "pg-main", database: DB }], strategy: { connectionPool: { mode: "transaction", maxSize: 1 } } },
        { name: "warm", backends: [{ name: "pg-main", database: DB }], strategy: { connectionPool: { minIdle: 2, idleTimeoutMs: 100 } } },
        { name: "short_idle", backends: [{ name: "pg-main", database: DB }], strategy: { connectionPool: { idleTimeoutMs: 200 } } },
        { name: "short_life", backends: [{ name: "pg-main", database: DB }], strategy: { connectionPool: { maxSize: 1, maxLifetimeMs: 300 } } },
      ],
      credentials: [{ name: "app", password: "pw-tx", virtualDatabases: ["tx", "sess", "tiny", "one", "warm", "short_idle", "short_life"] }],
    }),
  );
});

afterAll(async () => {
  await agent?.stop();
  await db?.drop();
});

function poolOf(vdb: string) {
  const pool = [...agent.runtime.pools.values()].find((p) => p.virtualDatabase === vdb);
  if (pool === undefined) throw new Error(`no pool for ${vdb}`);
  return pool;
}

async function backendPidsOf(database: string): Promise<number> {
  const r = await adminQuery(`select count(*)::int as n from pg_stat_activity where datname = '${database}' and application_name = 'dbmesh-agent'`);
  return r.rows[0].n;
}

describe("transaction pooling", () => {
  test("20 clients with named prepared statements share a pool of 3", async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectClient(agent, tx)));
    try {
      const rounds = 15;
      await Promise.all(
        clients.map(async (c, i) => {
          for (let round = 0; round < rounds; round++) {
            // Same names, different texts across clients: the agent must keep them apart on shared servers.
            const r = await c.query({ name: "bump", text: `update counters set n = n + 1 where id = $1 returning n, ${i} as who`, values: [i + 1] });
            expect(r.rows[0].who).toBe(i);
            const s = await c.query({ name: "read", text: "select n from counters where id = $1", values: [i + 1] });
            expect(s.rows[0].n).toBe(round + 1);
            if (round % 5 === 0) {
              await c.query("begin");
              await c.query({ name: "read", text: "select n from counters where id = $1", values: [i + 1] });
              await c.query("commit");
            }
          }
        }),
      );
      const r = await adminQuery("select sum(n)::int as total from counters", DB);
      expect(r.rows[0].total).toBe(20 * rounds);
      expect(poolOf("tx").size).toBeLessThanOrEqual(3);
      // Every pool of this file together: tx 3, sess 2, tiny 1, warm 2, short_idle 1, short_life 1.
      expect(await backendPidsOf(DB)).toBeLessThanOrEqual(10);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  test("a named statement whose Parse fails can be prepared again under the same name", async () => {
    const c = await connectClient(agent, tx);
    try {
      await expect(c.query({ name: "broken", text: "select * from no_such_table", values: [] })).rejects.toMatchObject({ code: "42P01" });
      await adminQuery("CREATE TABLE later_table (x int)", DB);
      (c as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements = {};
      const r = await c.query({ name: "broken", text: "select count(*)::int as n from later_table", values: [] });
      expect(r.rows[0].n).toBe(0);
    } finally {
      await c.end();
    }
  });

  test("a transaction holds its server; other clients wait for it, not past it", async () => {
    const a = await connectClient(agent, tiny);
    const b = await connectClient(agent, tiny);
    try {
      await a.query("begin");
      await a.query("update counters set n = n where id = 1");
      const waited = b.query("select 1 as n");
      await new Promise((r) => setTimeout(r, 100));
      await a.query("commit");
      expect((await waited).rows[0].n).toBe(1);
    } finally {
      await a.end();
      await b.end();
    }
  });

  test("a client pipelining while it waits for a server is read ahead a bounded amount, then answered", async () => {
    const a = await connectClient(agent, { ...tiny, database: "one" });
    const b = takeOver(await connectClient(agent, { ...tiny, database: "one" }));
    try {
      await a.query("begin");
      await a.query("update counters set n = n where id = 1"); // a holds the only server
      // The agent's side of b's connection (it runs in this process).
      const sockets = (agent as unknown as { proxy: { sockets: Set<import("node:net").Socket> } }).proxy.sockets;
      const agentSide = [...sockets].find((s) => s.remotePort === b.socket.localPort);
      if (agentSide === undefined) throw new Error("the agent's socket for b is not found");
      // One small statement waiting for the server: b's socket is not paused for it.
      const handshake = agentSide.bytesRead;
      b.send([query("select 1 as n")]);
      await waitFor(() => agentSide.bytesRead > handshake, 5_000, "the agent to read b's statement");
      await new Promise((r) => setTimeout(r, 100));
      expect(agentSide.isPaused()).toBe(false);
      // 48 MiB more: the agent stops taking bytes soon after the first large message, instead of draining all of
      // it into its memory.
      const message = query(`select 1 as n /* ${"x".repeat(256 * 1024)} */`);
      const count = 1 + 192;
      b.send(Array.from({ length: count - 1 }, () => message));
      let last = -1;
      for (let i = 0; i < 50 && agentSide.bytesRead !== last; i++) {
        last = agentSide.bytesRead;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(agentSide.bytesRead).toBe(last);
      expect(agentSide.bytesRead).toBeLessThan(2 * 1024 * 1024);
      expect(agentSide.isPaused()).toBe(true);
      expect(b.received.ready).toBe(0);
      await a.query("commit");
      await waitFor(() => b.received.ready === count, 30_000, `${count} ReadyForQuery (got ${b.received.ready})`);
      expect(b.received.errors).toBe(0);
    } finally {
      b.close();
      await a.end();
    }
  });

  test("a client that cannot get a server in time gets 53300 naming the backend and virtual database", async () => {
    const a = await connectClient(agent, tiny);
    const b = await connectClient(agent, tiny);
    try {
      await a.query("begin");
      const started = Date.now();
      const err = (await b.query("select 1").catch((e: unknown) => e)) as { code: string; message: string };
      expect(err.code).toBe("53300");
      expect(err.message).toMatch(/pool for backend pg-main of virtual database tiny is exhausted: waited \d+ ms/);
      expect(Date.now() - started).toBeLessThan(2000);
      await a.query("commit");
      // Both sessions still work.
      expect((await b.query("select 2 as n")).rows[0].n).toBe(2);
      expect((await a.query("select 3 as n")).rows[0].n).toBe(3);
    } finally {
      await a.end();
      await b.end();
    }
  });

  test("SET pins the session to its server; the setting sticks and does not leak to others", async () => {
    const a = await connectClient(agent, tx);
    const b = await connectClient(agent, tx);
    try {
      await a.query("set application_name = 'pinned-client'");
      for (let i = 0; i < 5; i++) {
        expect((await a.query("show application_name")).rows[0].application_name).toBe("pinned-client");
        expect((await b.query("show application_name")).rows[0].application_name).toBe("dbmesh-agent");
      }
    } finally {
      await a.end();
      await b.end();
    }
    // The pinned server went back reset (DISCARD ALL): nobody inherits the setting.
    const c = await connectClient(agent, tx);
    try {
      for (let i = 0; i < 4; i++) expect((await c.query("show application_name")).rows[0].application_name).toBe("dbmesh-agent");
    } finally {
      await c.end();
    }
  });

  test("a client that disconnects mid-transaction: its transaction is rolled back and the server reused", async () => {
    const a = await connectClient(agent, tiny);
    await a.query("begin");
    await a.query("update counters set n = 1000 where id = 20");
    // Drop the socket without Terminate.
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const b = await connectClient(agent, tiny);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const r = await b.query("select n from counters where id = 20");
      expect(r.rows[0].n).not.toBe(1000);
      // The row is not locked by a leftover transaction.
      await b.query("update counters set n = n where id = 20");
    } finally {
      await b.end();
    }
  });
});

describe("pool sizing and lifetimes", () => {
  test("minIdle connections are opened ahead of clients and kept past the idle timeout", async () => {
    await waitFor(() => poolOf("warm").idleCount === 2, 5_000, "two warm connections");
    await new Promise((r) => setTimeout(r, 1_200));
    expect(poolOf("warm").idleCount).toBe(2);
  });

  test("idle connections close after idleTimeoutMs", async () => {
    const c = await connectClient(agent, { ...tx, database: "short_idle" });
    await c.query("select 1");
    await c.end();
    expect(poolOf("short_idle").size).toBe(1);
    await waitFor(() => poolOf("short_idle").size === 0, 3_000, "idle connection closed");
  });

  test("a connection past maxLifetimeMs is replaced when it comes back", async () => {
    const c = await connectClient(agent, { ...tx, database: "short_life" });
    try {
      const first = (await c.query("select pg_backend_pid() as p")).rows[0].p;
      expect((await c.query("select pg_backend_pid() as p")).rows[0].p).toBe(first);
      await new Promise((r) => setTimeout(r, 400));
      expect((await c.query("select pg_backend_pid() as p")).rows[0].p).not.toBe(first);
    } finally {
      await c.end();
    }
  });
});

describe("session pooling", () => {
  test("a session keeps one server for its life; state is reset before the next client", async () => {
    const a = await connectClient(agent, session);
    const pidA1 = (await a.query("select pg_backend_pid() as p")).rows[0].p;
    await a.query("set statement_timeout = '12345ms'");
    await a.query("prepare own_stmt as select 1");
    expect((await a.query("select pg_backend_pid() as p")).rows[0].p).toBe(pidA1);
    await a.end();
    await new Promise((r) => setTimeout(r, 100));
    const b = await connectClient(agent, session);
    try {
      expect((await b.query("select pg_backend_pid() as p")).rows[0].p).toBe(pidA1);
      expect((await b.query("show statement_timeout")).rows[0].statement_timeout).toBe("0");
      await expect(b.query("execute own_stmt")).rejects.toMatchObject({ code: "26000" });
    } finally {
      await b.end();
    }
  });

  test("named statements pass through unchanged in session mode", async () => {
    const c = await connectClient(agent, session);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await c.query({ name: "s1", text: "select $1::int * 2 as d", values: [i] });
        expect(r.rows[0].d).toBe(i * 2);
      }
      const names = await c.query("select name from pg_prepared_statements order by name");
      expect(names.rows.map((r) => r.name)).toEqual(["s1"]);
    } finally {
      await c.end();
    }
  });
});

test("a pg.Pool of 10 over the agent runs 200 mixed queries", async () => {
  const pool = new pg.Pool({ host: "127.0.0.1", port: agent.address?.port, ...tx, max: 10 });
  try {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 3 === 0
          ? pool.query({ name: `q${i % 7}`, text: `select $1::int + ${i % 7} as v`, values: [i] }).then((r) => r.rows[0].v === i + (i % 7))
          : pool.query("select $1::text as v", [String(i)]).then((r) => r.rows[0].v === String(i)),
      ),
    );
    expect(results.every(Boolean)).toBe(true);
  } finally {
    await pool.end();
  }
  // pg.Pool.end() resolves before its clients' Terminate messages have arrived.
  await waitFor(() => agent.runtime.sessions.size === 0, 5_000, "sessions to close");
});
