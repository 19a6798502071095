import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildConfig } from "./testing/config-builder";
import { adminQuery, createScratchDatabase } from "./testing/postgres";
import { clientFor, connectClient, startTestAgent } from "./testing/test-agent";

// Graceful shutdown: no new clients, open transactions may finish (and commit) until the deadline, idle
// sessions are told why they are closed, and whatever is still running at the deadline is cut.

const DB = "agent_shutdown_it";
let db: { drop(): Promise<void> };
const creds = { user: "app", password: "pw-stop", database: "stop" };
const config = () =>
  buildConfig({
    virtualDatabases: [{ name: "stop", backends: [{ name: "pg-main", database: DB }] }],
    credentials: [{ name: "app", password: "pw-stop", virtualDatabases: ["stop"] }],
  });

beforeAll(async () => {
  db = await createScratchDatabase(DB);
  await adminQuery("CREATE TABLE done (x int)", DB);
});

afterAll(async () => {
  await db?.drop();
});

function closedWith(c: pg.Client): Promise<pg.DatabaseError> {
  return new Promise((resolve) => c.once("error", (e) => resolve(e as pg.DatabaseError)));
}

test("an open transaction may commit after stop(); idle sessions are closed with 57P01; new logins refused", async () => {
  const agent = await startTestAgent(config(), { shutdownTimeoutMs: 5_000 });
  const inTx = await connectClient(agent, creds);
  const idle = await connectClient(agent, creds);
  const idleClosed = closedWith(idle);
  const txClosed = closedWith(inTx);
  await inTx.query("begin");
  await inTx.query("insert into done values (1)");

  const stopping = agent.stop();
  const idleErr = await idleClosed;
  expect(idleErr.code).toBe("57P01");
  expect(idleErr.message).toMatch(/the dbmesh agent is shutting down/);

  const late = clientFor(agent, creds);
  late.on("error", () => {});
  await expect(late.connect()).rejects.toThrow();

  // The transaction finishes and commits; then its session is closed too.
  await inTx.query("insert into done values (2)");
  await inTx.query("commit");
  expect((await txClosed).code).toBe("57P01");
  await stopping;
  expect((await adminQuery("select count(*)::int as n from done", DB)).rows[0].n).toBe(2);
});

test("a transaction still open at the deadline is cut, and rolled back by the server", async () => {
  const agent = await startTestAgent(config(), { shutdownTimeoutMs: 300 });
  const c = await connectClient(agent, creds);
  const closed = closedWith(c);
  await c.query("begin");
  await c.query("insert into done values (99)");
  const started = Date.now();
  await agent.stop();
  expect(Date.now() - started).toBeLessThan(2_000);
  expect((await closed).message).toMatch(/shut down before this transaction finished/);
  await new Promise((r) => setTimeout(r, 200));
  expect((await adminQuery("select count(*)::int as n from done where x = 99", DB)).rows[0].n).toBe(0);
});
