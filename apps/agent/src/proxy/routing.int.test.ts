import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Agent } from "../agent";
import { buildConfig } from "../testing/config-builder";
import { FaultProxy } from "../testing/fault-proxy";
import { createScratchDatabase } from "../testing/postgres";
import { clientFor, connectClient, startTestAgent, waitFor } from "../testing/test-agent";

// Read/write splitting, balancing, fallback and health, with "replicas" that are other databases of the local
// server: current_database() tells which backend answered.

const PRIMARY = "agent_route_primary";
const REPLICA_A = "agent_route_replica_a";
const REPLICA_B = "agent_route_replica_b";
const dbs: { drop(): Promise<void> }[] = [];
let agent: Agent;
let closedPort: number;
const creds = (database: string) => ({ user: "app", password: "pw-route", database });

async function freePort(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const split = { enabled: true, defaultTarget: "replica" as const, rules: [] };

beforeAll(async () => {
  for (const name of [PRIMARY, REPLICA_A, REPLICA_B]) dbs.push(await createScratchDatabase(name));
  closedPort = await freePort();
  agent = await startTestAgent(
    buildConfig({
      virtualDatabases: [
        {
          name: "rw",
          backends: [
            { name: "primary", database: PRIMARY },
            { name: "replica-a", database: REPLICA_A, role: "REPLICA" },
            { name: "replica-b", database: REPLICA_B, role: "REPLICA" },
          ],
          strategy: { readWriteSplitting: split, loadBalance: "round_robin" },
        },
        {
          name: "replica_down",
          backends: [
            { name: "primary", database: PRIMARY },
            { name: "dead-replica", database: REPLICA_A, role: "REPLICA", port: closedPort },
          ],
          strategy: { readWriteSplitting: split },
        },
        { name: "all_down", backends: [{ name: "dead-primary", database: PRIMARY, port: closedPort }] },
        { name: "empty", backends: [] },
      ],
      credentials: [{ name: "app", password: "pw-route", virtualDatabases: ["rw", "replica_down", "all_down", "empty"] }],
    }),
    { healthCheck: { intervalMs: 200, timeoutMs: 1_000 } },
  );
});

afterAll(async () => {
  await agent?.stop();
  for (const db of dbs) await db.drop();
});

describe("read/write splitting", () => {
  test("reads outside a transaction go to replicas, round robin; writes to the primary", async () => {
    const c = await connectClient(agent, creds("rw"));
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add((await c.query("select current_database() as d")).rows[0].d);
      expect(seen).toEqual(new Set([REPLICA_A, REPLICA_B]));
      const w = await c.query("create table if not exists w (x int); insert into w values (1); select current_database() as d");
      expect((w as unknown as { rows: { d: string }[] }[])[2]?.rows[0]?.d).toBe(PRIMARY);
      // Extended protocol reads are split too.
      expect((await c.query("select current_database() as d, $1::int as n", [1])).rows[0].d).not.toBe(PRIMARY);
    } finally {
      await c.end();
    }
  });

  test("everything inside a transaction sticks to the primary; FOR UPDATE goes to the primary", async () => {
    const c = await connectClient(agent, creds("rw"));
    try {
      await c.query("begin");
      for (let i = 0; i < 3; i++) expect((await c.query("select current_database() as d")).rows[0].d).toBe(PRIMARY);
      await c.query("commit");
      expect((await c.query("select current_database() as d from (select 1) s for update")).rows[0].d).toBe(PRIMARY);
    } finally {
      await c.end();
    }
  });

  test("a session that sets state is pinned to the primary", async () => {
    const c = await connectClient(agent, creds("rw"));
    try {
      await c.query("set work_mem = '8MB'");
      for (let i = 0; i < 3; i++) expect((await c.query("select current_database() as d")).rows[0].d).toBe(PRIMARY);
    } finally {
      await c.end();
    }
  });

  test("queries are counted per backend and route", async () => {
    const text = await agent.metrics.registry.metrics();
    expect(text).toMatch(/dbmesh_agent_queries_total\{virtual_database="rw",backend="replica-a",route="replica"\} [1-9]/);
    expect(text).toMatch(/dbmesh_agent_queries_total\{virtual_database="rw",backend="primary",route="primary"\} [1-9]/);
    expect(text).toMatch(/dbmesh_agent_query_duration_seconds_count\{virtual_database="rw",backend="primary",route="primary"\} [1-9]/);
  });
});

describe("health and failure", () => {
  test("with its only replica down, reads fall back to the primary", async () => {
    await waitFor(() => agent.runtime.backendStates().some((b) => b.backend === "dead-replica" && !b.healthy), 5_000, "dead replica ejected");
    const c = await connectClient(agent, creds("replica_down"));
    try {
      for (let i = 0; i < 3; i++) expect((await c.query("select current_database() as d")).rows[0].d).toBe(PRIMARY);
    } finally {
      await c.end();
    }
    const state = agent.runtime.backendStates().find((b) => b.backend === "dead-replica");
    expect(state?.lastError).toMatch(/connection refused/);
  });

  test("no backend can serve: a clear 08006 naming the virtual database, at once", async () => {
    const c = clientFor(agent, creds("all_down"));
    c.on("error", () => {});
    const started = Date.now();
    const err = (await c.connect().catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe("08006");
    expect(err.message).toMatch(/virtual database "all_down"/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  test("a virtual database with no backends refuses logins with a clear error", async () => {
    const c = clientFor(agent, creds("empty"));
    c.on("error", () => {});
    const err = (await c.connect().catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe("08006");
    expect(err.message).toMatch(/virtual database "empty" has no backend endpoints/);
  });

  test("a backend that dies: a query in flight gets FATAL 08006; later queries fail fast; it works again once back", async () => {
    const fault = new FaultProxy();
    const port = await fault.start();
    const viaFault = buildConfig({
      revision: 2,
      virtualDatabases: [{ name: "flaky", backends: [{ name: "flaky-main", database: PRIMARY, port }] }],
      credentials: [{ name: "app", password: "pw-route", virtualDatabases: ["flaky"] }],
    });
    const second = await startTestAgent(viaFault);
    try {
      const inFlight = await connectClient(second, creds("flaky"));
      const idle = await connectClient(second, creds("flaky"));
      expect((await idle.query("select 1 as n")).rows[0].n).toBe(1);
      const lost = new Promise<Error>((resolve) => inFlight.once("error", resolve));
      const sleeping = inFlight.query("select pg_sleep(5)").catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 200));
      await fault.cut();
      const err = (await sleeping) as { code: string; message: string };
      expect(err.code).toBe("08006");
      expect(err.message).toMatch(/lost the connection to backend flaky-main of virtual database "flaky"/);
      await lost;

      // The idle session holds no server (transaction pooling): its next query fails fast and cleanly.
      const started = Date.now();
      const down = (await idle.query("select 2").catch((e: unknown) => e)) as { code: string; message: string };
      expect(down.code).toBe("08006");
      expect(down.message).toMatch(/flaky/);
      expect(Date.now() - started).toBeLessThan(3_000);

      await fault.restore();
      await waitFor(async () => (await idle.query("select 3 as n").then((r) => r.rows[0].n === 3).catch(() => false)), 8_000, "backend back");
      await idle.end();
    } finally {
      await second.stop();
      await fault.cut();
    }
  });
});
