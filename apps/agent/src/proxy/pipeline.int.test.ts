import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Agent } from "../agent";
import { buildConfig } from "../testing/config-builder";
import { query, TERMINATE } from "../pg/messages";
import { adminQuery, createScratchDatabase } from "../testing/postgres";
import { startTestAgent, waitFor } from "../testing/test-agent";

// Pipelining: the client sends many cycles (each ending in Sync) before the first answer. The agent must keep
// answers in order, keep the server while anything is in flight, re-prepare named statements on whichever
// server it holds, and never send a write to a replica that is still answering pipelined reads.

const PRIMARY = "agent_pipe_primary";
const REPLICA = "agent_pipe_replica";
const dbs: { drop(): Promise<void> }[] = [];
let agent: Agent;

beforeAll(async () => {
  dbs.push(await createScratchDatabase(PRIMARY), await createScratchDatabase(REPLICA));
  agent = await startTestAgent(
    buildConfig({
      virtualDatabases: [
        { name: "pipe", backends: [{ name: "p", database: PRIMARY }], strategy: { connectionPool: { maxSize: 2 } } },
        {
          name: "pipe_rw",
          backends: [
            { name: "p", database: PRIMARY },
            { name: "r", database: REPLICA, role: "REPLICA" },
          ],
          strategy: { readWriteSplitting: { enabled: true, defaultTarget: "replica", rules: [] } },
        },
      ],
      credentials: [{ name: "app", password: "pw-pipe", virtualDatabases: ["pipe", "pipe_rw"] }],
    }),
  );
});

afterAll(async () => {
  await agent?.stop();
  for (const db of dbs) await db.drop();
});

function pipelined(database: string): pg.Client {
  const c = new pg.Client({ host: "127.0.0.1", port: agent.address?.port, user: "app", password: "pw-pipe", database, pipeline: true } as pg.ClientConfig);
  c.on("error", () => {});
  return c;
}

test("100 pipelined queries with named statements and errors in the middle come back in order", async () => {
  const clients = [pipelined("pipe"), pipelined("pipe"), pipelined("pipe")];
  await Promise.all(clients.map((c) => c.connect()));
  try {
    await Promise.all(
      clients.map(async (c, who) => {
        const results = await Promise.allSettled(
          Array.from({ length: 100 }, (_, i) => {
            if (i % 17 === 5) return c.query("select 1/0");
            if (i % 3 === 0) return c.query({ name: `n${i % 4}`, text: `select $1::int * ${(i % 4) + 1} as v, ${who} as who`, values: [i] });
            return c.query("select $1::int as v, $2::int as who", [i, who]);
          }),
        );
        results.forEach((r, i) => {
          if (i % 17 === 5) {
            expect(r.status).toBe("rejected");
            return;
          }
          expect(r.status).toBe("fulfilled");
          const row = (r as PromiseFulfilledResult<pg.QueryResult>).value.rows[0];
          expect(row.who).toBe(who);
          expect(row.v).toBe(i % 3 === 0 ? i * ((i % 4) + 1) : i);
        });
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
});

test("a write pipelined behind reads waits for the replica to answer, then goes to the primary", async () => {
  const c = pipelined("pipe_rw");
  await c.connect();
  try {
    const reads = Array.from({ length: 5 }, () => c.query("select current_database() as d, pg_sleep(0.02)"));
    const write = c.query("create temporary table if not exists tmp_w (x int); select current_database() as d");
    const rs = await Promise.all(reads);
    expect(rs.map((r) => r.rows[0].d)).toEqual(Array(5).fill(REPLICA));
    const w = (await write) as unknown as pg.QueryResult[];
    expect(w[1]?.rows[0].d).toBe(PRIMARY);
  } finally {
    await c.end();
  }
});

/** Writes `bytes` to the client's socket in one write, bypassing the driver (which never pipelines Terminate). */
function writeRaw(c: pg.Client, bytes: Buffer): void {
  (c as unknown as { connection: { stream: { write(b: Buffer): boolean } } }).connection.stream.write(bytes);
}

test("a COMMIT pipelined with Terminate in one packet commits; an open transaction left that way rolls back", async () => {
  const setup = pipelined("pipe");
  await setup.connect();
  await setup.query("create table if not exists commit_terminate (note text)");
  await setup.end();

  const c = pipelined("pipe");
  await c.connect();
  await c.query("BEGIN");
  await c.query("insert into commit_terminate values ('committed')");
  const closed = new Promise((resolve) => c.once("end", resolve));
  writeRaw(c, Buffer.concat([query("COMMIT"), TERMINATE]));
  await closed;
  await waitFor(
    async () => (await adminQuery("select count(*)::int as n from commit_terminate where note = 'committed'", PRIMARY)).rows[0].n === 1,
    5_000,
    "the pipelined COMMIT to persist the row",
  );

  const d = pipelined("pipe");
  await d.connect();
  await d.query("BEGIN");
  const dClosed = new Promise((resolve) => d.once("end", resolve));
  writeRaw(d, Buffer.concat([query("insert into commit_terminate values ('left open')"), TERMINATE]));
  await dClosed;
  // Every pooled server is back, out of any transaction, and the insert never committed.
  const e = pipelined("pipe");
  await e.connect();
  try {
    for (let i = 0; i < 4; i++) {
      const r = await e.query("select count(*)::int as n, now() = statement_timestamp() as fresh from commit_terminate where note = 'left open'");
      expect(r.rows[0]).toEqual({ n: 0, fresh: true });
    }
  } finally {
    await e.end();
  }
});
