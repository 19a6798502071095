// npm run bench:schema — how long until a 200-statement migration's checks are stored (and so shown)?
//
// A scratch control database, a target database with BENCH_TABLES tables (default 100, 200 rows
// each), the real worker's BullMQ workers in this process and the API's own procedure: the clock
// starts when changeRequest.create is called and stops when the checks (lint under the environment
// policy + a dry run on the target, rolled back, with the schema before and after) are stored.
// Prints the figures last, as JSON; the target is ≤ 5 s.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { pino } from "pino";
import { createRedis } from "@dbmesh/queue";
import { startWorkers } from "../apps/worker/src/worker";
import { closeSchemaQueues, lintChangeSql } from "../packages/api/src/services/schema-change/index";
import { createHarness } from "../packages/api/src/testing/harness";

const TABLES = Number(process.env.BENCH_TABLES ?? 100);
const STATEMENTS = Number(process.env.BENCH_STATEMENTS ?? 200);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const server = new URL(process.env.TEST_DATABASE_SERVER_URL ?? "postgresql://postgres@127.0.0.1:5432");
const id = randomBytes(4).toString("hex");
const targetDb = `dbmesh_bench_schema_${id}`;
const prefixBase = `dbmesh-bench-schema-${id}`;
const urlOf = (db: string) => Object.assign(new URL(server.toString()), { pathname: `/${db}` }).toString();

async function run(db: string, sql: string) {
  const c = new pg.Client({ connectionString: urlOf(db) });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const t = (i: number) => `t${String((i % TABLES) + 1).padStart(3, "0")}`;

/** A realistic mix: new columns, indexes (some CONCURRENTLY), backfills, constraints, new tables. */
function migration(): string {
  const out: string[] = [];
  for (let i = 0; out.length < STATEMENTS; i++) {
    const table = t(i);
    switch (i % 8) {
      case 0: out.push(`ALTER TABLE ${table} ADD COLUMN note_${i} text`); break;
      case 1: out.push(`UPDATE ${table} SET qty = qty + 1 WHERE id <= 50`); break;
      case 2: out.push(`CREATE INDEX ${table}_qty_${i}_idx ON ${table} (qty)`); break;
      case 3: out.push(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_qty_${i}_ck CHECK (qty >= 0) NOT VALID`); break;
      case 4: out.push(`CREATE TABLE extra_${i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ${table}_id bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`); break;
      case 5: out.push(`ALTER TABLE ${table} ALTER COLUMN name SET DEFAULT ''`); break;
      case 6: out.push(`DELETE FROM ${table} WHERE qty > 1000000`); break;
      default: out.push(`CREATE INDEX CONCURRENTLY ${table}_name_${i}_idx ON ${table} (name)`); break;
    }
  }
  return out.map((s) => `${s};`).join("\n");
}

await run("postgres", `CREATE DATABASE ${targetDb}`);
// A scratch key: the bench's endpoint has no password, nothing is decrypted with it.
const h = await createHarness({ DBMESH_QUEUE_PREFIX: prefixBase, DBMESH_SECRET_KEY: process.env.DBMESH_SECRET_KEY ?? "ab".repeat(32) }).catch(async (err) => {
  await run("postgres", `DROP DATABASE IF EXISTS ${targetDb} WITH (FORCE)`);
  throw err;
});
let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;
try {
  const tables: string[] = [];
  for (let i = 0; i < TABLES; i++) {
    tables.push(`CREATE TABLE ${t(i)} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, qty integer NOT NULL DEFAULT 0);
      INSERT INTO ${t(i)} (name, qty) SELECT 'n' || g, g FROM generate_series(1, 200) g;`);
  }
  await run(targetDb, tables.join("\n"));

  const admin = await h.as("ADMIN");
  const developer = await h.as("DEVELOPER");
  await admin.environment.create({ name: "bench", description: "", production: false });
  await admin.endpoint.create({ name: "bench-target", environment: "bench", protocol: "POSTGRESQL", host: server.hostname, port: Number(server.port || 5432), database: targetDb, username: decodeURIComponent(server.username || "postgres"), role: "PRIMARY", weight: 1, labels: {} });
  workers = await startWorkers({ db: h.tdb.db, redisUrl, prefixBase, log: pino({ level: "silent" }), secretKey: h.env.DBMESH_SECRET_KEY, concurrency: 1 });

  const sql = migration();
  // Warm the parser once (a worker that has been up for a while has it loaded), then time lint alone.
  await lintChangeSql("SELECT 1");
  const l0 = performance.now();
  const lint = await lintChangeSql(sql);
  const lintMs = performance.now() - l0;

  const t0 = performance.now();
  const { id: crId } = await developer.changeRequest.create({ title: "bench: 200 statements", target: { kind: "endpoints", endpoints: ["bench-target"] }, sql });
  let version;
  for (;;) {
    version = await h.tdb.db.changeVersion.findFirstOrThrow({ where: { changeRequestId: crId } });
    if (version.checksStatus === "DONE" || version.checksStatus === "FAILED") break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const storedMs = performance.now() - t0;
  const check = await h.tdb.db.changeCheck.findFirstOrThrow({ where: { versionId: version.id } });
  const dry = check.dryRun as { durationMs: number; error: unknown; statements: { status: string }[] };
  // The page's own read: what the console fetches to show them.
  const g0 = performance.now();
  await developer.changeRequest.get({ id: crId });
  const getMs = performance.now() - g0;

  const result = {
    tables: TABLES,
    statements: lint.statements.length,
    findings: lint.findings.length,
    checksStatus: version.checksStatus,
    dryRunError: dry.error,
    dryRun: { executed: dry.statements.filter((s) => s.status === "ok").length, notDryRun: dry.statements.filter((s) => s.status === "not_dry_run").length, ms: dry.durationMs },
    lintMs: Number(lintMs.toFixed(1)),
    checksJobMs: version.checksFinishedAt && version.checksStartedAt ? version.checksFinishedAt.getTime() - version.checksStartedAt.getTime() : null,
    untilStoredMs: Math.round(storedMs),
    untilShownMs: Math.round(storedMs + getMs),
    targetMs: 5000,
    withinTarget: storedMs + getMs <= 5000,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
} finally {
  await workers?.close();
  await closeSchemaQueues();
  await h.close();
  await run("postgres", `DROP DATABASE IF EXISTS ${targetDb} WITH (FORCE)`);
  const redis = createRedis(redisUrl, { forWorker: true });
  const keys = await redis.keys(`{${prefixBase}}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
}
