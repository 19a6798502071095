import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Agent } from "../agent";
import { buildConfig, type TestVirtualDatabase } from "../testing/config-builder";
import { adminQuery, createScratchDatabase } from "../testing/postgres";
import { clientFor, connectClient, startTestAgent, waitFor } from "../testing/test-agent";

// Applying a new config while sessions are open: sessions finish on the snapshot they started with, pools of
// unchanged backends stay warm, and sessions whose virtual database or credential disappeared are closed with
// a message that says why.

const DB = "agent_swap_it";
let agent: Agent;
let db: { drop(): Promise<void> };

const alpha: TestVirtualDatabase = { name: "alpha", backends: [{ name: "pg-main", database: DB }] };
const beta: TestVirtualDatabase = { name: "beta", backends: [{ name: "pg-main", database: DB }] };
const owner = { name: "owner", password: "pw-owner", virtualDatabases: ["alpha", "beta"] };
const guest = { name: "guest", password: "pw-guest", virtualDatabases: ["alpha"] };

beforeAll(async () => {
  db = await createScratchDatabase(DB);
  await adminQuery("CREATE TABLE victim (x int)", DB);
  agent = await startTestAgent(buildConfig({ revision: 1, virtualDatabases: [alpha, beta], credentials: [owner, guest] }));
});

afterAll(async () => {
  await agent?.stop();
  await db?.drop();
});

function closedWith(c: pg.Client): Promise<Error> {
  return new Promise((resolve) => c.once("error", resolve));
}

test("config swap: old sessions keep their rules, new ones get the new; removed things close their sessions", async () => {
  const onAlpha = await connectClient(agent, { user: "owner", password: "pw-owner", database: "alpha" });
  const onBeta = await connectClient(agent, { user: "owner", password: "pw-owner", database: "beta" });
  const guestOnAlpha = await connectClient(agent, { user: "guest", password: "pw-guest", database: "alpha" });
  const betaClosed = closedWith(onBeta);
  const guestClosed = closedWith(guestOnAlpha);

  // A transaction is open on alpha while the config changes.
  await onAlpha.query("begin");
  await onAlpha.query("insert into victim values (1)");
  const poolBefore = [...agent.runtime.pools.values()].find((p) => p.virtualDatabase === "alpha");
  const pidBefore = (await onAlpha.query("select pg_backend_pid() as p")).rows[0].p;

  const outcome = agent.applyConfig(
    buildConfig({
      revision: 2,
      virtualDatabases: [
        { ...alpha, strategy: { circuitBreaks: [{ name: "no-drop", regex: ["^drop"], statementKinds: [], tables: [], operations: [] }], connectionPool: { maxSize: 7 } } },
      ],
      credentials: [{ ...owner, virtualDatabases: ["alpha"] }],
    }),
  );
  expect(outcome.applied).toBe(true);

  // beta is gone: its session is closed with a message naming it and the revision.
  const betaErr = (await betaClosed) as pg.DatabaseError;
  expect(betaErr.message).toMatch(/virtual database "beta" was removed from the mesh configuration \(revision 2\)/);
  expect(betaErr.code).toBe("57P01");
  // guest lost its credential: closed too.
  const guestErr = (await guestClosed) as pg.DatabaseError;
  expect(guestErr.message).toMatch(/credential "guest" was removed/);

  // The alpha session finishes its transaction on the same server, under the rules it started with.
  expect((await onAlpha.query("select pg_backend_pid() as p")).rows[0].p).toBe(pidBefore);
  await onAlpha.query("commit");
  await onAlpha.query("drop table victim"); // allowed by revision 1
  // The unchanged backend kept its pool (warm connections), with the new size.
  const poolAfter = [...agent.runtime.pools.values()].find((p) => p.virtualDatabase === "alpha");
  expect(poolAfter).toBe(poolBefore);
  expect(poolAfter?.settings.maxSize).toBe(7);

  // A new session gets revision 2's rules.
  const fresh = await connectClient(agent, { user: "owner", password: "pw-owner", database: "alpha" });
  await expect(fresh.query("drop table if exists nothing_here")).rejects.toMatchObject({ code: "42501" });
  await fresh.end();
  await onAlpha.end();

  // beta no longer exists for new clients.
  const c = clientFor(agent, { user: "owner", password: "pw-owner", database: "beta" });
  c.on("error", () => {});
  await expect(c.connect()).rejects.toMatchObject({ code: "3D000" });

  // beta's pool closes once no snapshot needs it.
  await waitFor(() => ![...agent.runtime.pools.values()].some((p) => p.virtualDatabase === "beta"), 3_000, "beta's pool to close");
});

test("an older revision is not applied", () => {
  const outcome = agent.applyConfig(buildConfig({ revision: 1, virtualDatabases: [alpha, beta], credentials: [owner] }));
  expect(outcome).toEqual({ applied: false, reason: "stale" });
  expect(agent.runtime.current?.revision).toBe(2);
});

test("a removed virtual database closes a session mid-transaction at its next ReadyForQuery, rolling back", async () => {
  await adminQuery("CREATE TABLE IF NOT EXISTS marks (x int)", DB);
  agent.applyConfig(buildConfig({ revision: 3, virtualDatabases: [alpha, beta], credentials: [owner] }));
  const c = await connectClient(agent, { user: "owner", password: "pw-owner", database: "beta" });
  const closed = closedWith(c);
  await c.query("begin");
  const slow = c.query("insert into marks select 1 from pg_sleep(0.3)");
  await new Promise((r) => setTimeout(r, 50));
  agent.applyConfig(buildConfig({ revision: 4, virtualDatabases: [alpha], credentials: [owner] }));
  await slow.catch(() => {});
  expect(((await closed) as Error).message).toMatch(/"beta" was removed/);
  await waitFor(async () => (await adminQuery("select count(*)::int as n from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'marks'", DB)).rows[0].n === 0);
  expect((await adminQuery("select count(*)::int as n from marks", DB)).rows[0].n).toBe(0);
});
