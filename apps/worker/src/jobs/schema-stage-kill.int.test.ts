import { spawn, type ChildProcess } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createSchemaFixture, redisUrl, waitFor, withTarget, type SchemaFixture } from "../testing/schema-fixture";

// A worker process killed (SIGKILL) in the middle of a stage: a second worker takes the stalled job
// over, the stage resumes from the target's dbmesh_schema_history, and no statement runs twice.

const WORKER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
let f: SchemaFixture;
const children: ChildProcess[] = [];

function startWorker(): ChildProcess {
  // node itself with tsx's loader (not the tsx CLI, which forks): SIGKILL must hit the worker.
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: WORKER_DIR,
    env: {
      ...process.env,
      DATABASE_URL: f.h.tdb.url,
      REDIS_URL: redisUrl,
      DBMESH_QUEUE_PREFIX: f.prefixBase,
      DBMESH_SECRET_KEY: f.h.env.DBMESH_SECRET_KEY,
      DBMESH_WORKER_LOCK_MS: "2000",
      DBMESH_WORKER_CONCURRENCY: "1",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  return child;
}

beforeAll(async () => {
  f = await createSchemaFixture("CREATE TABLE k1 (id integer PRIMARY KEY);");
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await f?.close();
}, 60_000);

it("ends succeeded on retry after the worker is killed mid-stage, with every statement applied exactly once", async () => {
  const sql = [
    "INSERT INTO k1 VALUES (1);",
    "CREATE INDEX CONCURRENTLY k1_id_idx ON k1 (id);",
    "INSERT INTO k1 VALUES (2);",
    "CREATE TABLE k2 (id integer PRIMARY KEY);",
    // Keeps the third transaction open long enough to kill the worker inside it.
    "SELECT pg_sleep(4);",
    "INSERT INTO k1 VALUES (3);",
  ].join("\n");
  const { id } = await f.developer.changeRequest.create({ title: "Killed mid-stage", target: { kind: "endpoints", endpoints: ["shop-dev"] }, sql });
  const first = startWorker();
  const cr = await waitFor("checks", async () => {
    const c = await f.admin.changeRequest.get({ id });
    return c.checks.status === "DONE" ? c : null;
  }, 60_000);
  expect(cr.checks.errorCount).toBe(0);
  await f.dba.changeRequest.approve({ id, version: 1, body: "", acknowledgement: cr.checks.warningCount ? "test" : undefined });
  const { stageId } = await f.dba.changeRequest.deployNext({ id });

  // Statements 1 and 2 are committed (the index outside a transaction); the third transaction is sleeping.
  await waitFor("the first two statements on the target", () =>
    withTarget(f.devDb, async (c) => {
      const r = await c.query("SELECT count(*)::int AS n FROM dbmesh_schema_history WHERE change_request_id = $1 AND status = 'applied'", [id]).catch(() => null);
      return (r?.rows[0]?.n ?? 0) >= 2;
    }),
  );
  await new Promise((r) => setTimeout(r, 800));
  first.kill("SIGKILL");
  await new Promise((r) => first.once("exit", r));
  expect((await f.h.tdb.db.changeStage.findUniqueOrThrow({ where: { id: stageId } })).status).toBe("RUNNING");

  startWorker();
  const stage = await waitFor("the stage to end", async () => {
    const s = await f.h.tdb.db.changeStage.findUniqueOrThrow({ where: { id: stageId } });
    return s.status === "SUCCEEDED" || s.status === "FAILED" ? s : null;
  }, 90_000);
  expect(stage.status).toBe("SUCCEEDED");
  expect(stage.attempts).toBeGreaterThanOrEqual(2);

  const target = await withTarget(f.devDb, async (c) => ({
    rows: (await c.query("SELECT id FROM k1 ORDER BY id")).rows.map((r) => r.id),
    k2: (await c.query("SELECT to_regclass('k2') IS NOT NULL AS ok")).rows[0].ok,
    history: (await c.query("SELECT statement_index, statement_hash FROM dbmesh_schema_history WHERE change_request_id = $1 ORDER BY statement_index", [id])).rows,
  }));
  // An INSERT applied twice would fail on the primary key or duplicate the row: exactly 1, 2, 3.
  expect(target.rows).toEqual([1, 2, 3]);
  expect(target.k2).toBe(true);
  expect(target.history.map((r) => r.statement_index)).toEqual([0, 1, 2, 3, 4, 5]);
  const control = await f.h.tdb.db.schemaChangeHistory.findMany({ where: { changeRequestId: id }, orderBy: { statementIndex: "asc" } });
  expect(control.map((r) => [r.statementIndex, r.statementHash])).toEqual(target.history.map((r) => [r.statement_index, r.statement_hash]));
  const actions = (await f.h.tdb.db.auditEvent.findMany({ where: { objectId: id }, orderBy: { id: "asc" } })).map((a) => a.action);
  expect(actions).toEqual(expect.arrayContaining(["change_stage.start", "change_stage.resume", "change_stage.succeed"]));
}, 150_000);
