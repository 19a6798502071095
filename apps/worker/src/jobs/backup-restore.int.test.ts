// A real backup and restore: pg_dump and pg_restore against the local PostgreSQL, through the
// worker's BullMQ queues, then the restored database compared with its source, table by table.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chmod, mkdir } from "node:fs/promises";
import { LocalDirectoryStorage, performBackup } from "@dbmesh/backup";
import { createTestDatabase, type TestDatabase } from "@dbmesh/db/testing";
import { createRedis, queuePrefix, removeBackupSchedule, upsertBackupSchedule } from "@dbmesh/queue";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkers, type RunningWorkers } from "../worker";
import { checkEvictionPolicy, createBackupDeps, DEFAULT_BACKUP_SETTINGS } from "../backup/runtime";
import { contentsOf, createEndpoint, createSourceDatabase, dropDatabases, scratchName, sql, waitFor } from "../backup/testing";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const secretKey = process.env.DBMESH_SECRET_KEY ?? "";

describe("backup and restore with real pg_dump / pg_restore", () => {
  const prefixBase = `dbmesh-test-${randomBytes(4).toString("hex")}`;
  const source = scratchName("src");
  const restored = scratchName("restored");
  let t: TestDatabase;
  let running: RunningWorkers;
  let dir: string;
  let endpointId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), "dbmesh-backups-"));
    await createSourceDatabase(source, 2);
    endpointId = await createEndpoint(t.db, source, secretKey);
    running = await startWorkers({
      db: t.db,
      redisUrl,
      prefixBase,
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
      backup: { secretKey, root: dir, lockMs: 5_000, heartbeatMs: 500 },
    });
  }, 60_000);

  afterAll(async () => {
    await running?.close();
    for (const q of running?.queues.values() ?? []) await q.obliterate({ force: true }).catch(() => {});
    const redis = createRedis(redisUrl, { forWorker: true });
    const keys = await redis.keys(`${queuePrefix(prefixBase)}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await dropDatabases(source, restored);
    await t?.drop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  async function runNow(planId: string): Promise<string> {
    const id = `br_${randomBytes(8).toString("hex")}`;
    await t.db.backupRun.create({ data: { id, planId, slot: `manual:${id}`, trigger: "manual" } });
    await running.queues.get("backup")!.add("run-backup", { runId: id }, { jobId: id, attempts: 2 });
    return id;
  }
  const finished = (id: string) =>
    waitFor(`run ${id} to finish`, async () => {
      const r = await t.db.backupRun.findUniqueOrThrow({ where: { id } });
      return r.status === "SUCCEEDED" || r.status === "FAILED" ? r : null;
    });

  it("backs up with a full-restore verification, restores into a new database, and the contents match", async () => {
    const plan = await t.db.backupPlan.create({
      data: { id: "bp_full", name: "full", endpointId, cron: "0 3 * * *", verification: "RESTORE", storagePath: "plans" },
    });
    const runId = await runNow(plan.id);
    const run = await finished(runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe("SUCCEEDED");
    expect(run.verifyResult).toMatch(/restored into a scratch database: 4 tables, \d+ rows, all matching the manifest/);
    expect(run.serverVersion).toMatch(/^1[5-9]/);
    expect(run.toolVersion).toMatch(/^1[5-9]/);
    expect(Number(run.sizeBytes)).toBeGreaterThan(10_000);
    // The checksum is the file's, and only the final file is left (no temporary one).
    const storage = new LocalDirectoryStorage("plans", dir);
    expect(await storage.list()).toEqual([run.storageKey]);
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update(await readFile(join(dir, "plans", run.storageKey!))).digest("hex")).toBe(run.sha256);
    // The manifest counted what was dumped.
    const manifest = run.manifest as { tables: { schema: string; name: string; rows: number }[] };
    expect(manifest.tables.find((x) => x.name === "orders")?.rows).toBe(2000);
    // The scratch database is gone.
    expect(await sql("postgres", `SELECT 1 FROM pg_database WHERE datname LIKE 'dbmesh_verify_%${runId.slice(3)}'`)).toEqual([]);

    const restoreId = `rr_${randomBytes(8).toString("hex")}`;
    await t.db.restoreRun.create({ data: { id: restoreId, backupRunId: runId, endpointId, targetDatabase: restored } });
    await running.queues.get("restore")!.add("run-restore", { restoreId }, { jobId: restoreId });
    const r = await waitFor("restore", async () => {
      const x = await t.db.restoreRun.findUniqueOrThrow({ where: { id: restoreId } });
      return x.status === "SUCCEEDED" || x.status === "FAILED" ? x : null;
    });
    expect(r.error).toBeNull();
    expect(r.status).toBe("SUCCEEDED");
    expect(r.check).toMatchObject({ ok: true, tables: 4, problems: [] });
    expect(await contentsOf(restored)).toEqual(await contentsOf(source));

    const actions = (await t.db.auditEvent.findMany({ where: { objectId: { in: [runId, restoreId] } }, orderBy: { id: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["backup.started", "backup.dumped", "backup.verified", "restore.started", "restore.succeeded"]);
  });

  it("refuses to restore into an existing database without overwrite, and overwrites only after a safety backup", async () => {
    const runId = (await t.db.backupRun.findFirstOrThrow({ where: { planId: "bp_full", status: "SUCCEEDED" } })).id;
    // The restored database now differs from the backup: a row more.
    await sql(restored, "INSERT INTO customer (name, email) VALUES ('extra', 'extra@example.test')");
    const refused = `rr_${randomBytes(8).toString("hex")}`;
    await t.db.restoreRun.create({ data: { id: refused, backupRunId: runId, endpointId, targetDatabase: restored } });
    await running.queues.get("restore")!.add("run-restore", { restoreId: refused }, { jobId: refused });
    const r1 = await waitFor("refusal", async () => {
      const x = await t.db.restoreRun.findUniqueOrThrow({ where: { id: refused } });
      return x.status === "FAILED" || x.status === "SUCCEEDED" ? x : null;
    });
    expect(r1.status).toBe("FAILED");
    expect(r1.error).toMatch(/already exists on the target endpoint: choose a new name, or restore over it/);
    expect((await sql(restored, "SELECT count(*)::int AS n FROM customer"))[0]?.n).toBe(201);

    const over = `rr_${randomBytes(8).toString("hex")}`;
    await t.db.restoreRun.create({ data: { id: over, backupRunId: runId, endpointId, targetDatabase: restored, overwrite: true } });
    await running.queues.get("restore")!.add("run-restore", { restoreId: over }, { jobId: over });
    const r2 = await waitFor("overwrite", async () => {
      const x = await t.db.restoreRun.findUniqueOrThrow({ where: { id: over } });
      return x.status === "FAILED" || x.status === "SUCCEEDED" ? x : null;
    });
    expect(r2.error).toBeNull();
    expect(r2.safetyKey).toMatch(/^safety\//);
    expect(await contentsOf(restored)).toEqual(await contentsOf(source));
    // The safety backup holds the database as it was, extra row included.
    const storage = new LocalDirectoryStorage("plans", dir);
    expect(await storage.size(r2.safetyKey!)).toBeGreaterThan(1000);
    const actions = (await t.db.auditEvent.findMany({ where: { objectId: over }, orderBy: { id: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["restore.started", "restore.safety_backup", "restore.succeeded"]);
  });

  it("fails verification with a clear message when one byte of the file was flipped", async () => {
    const plan = await t.db.backupPlan.create({ data: { id: "bp_flip", name: "flip", endpointId, cron: "0 3 * * *", verification: "NONE", storagePath: "flip" } });
    const runId = await runNow(plan.id);
    const run = await finished(runId);
    expect(run.status).toBe("SUCCEEDED");
    const file = join(dir, "flip", run.storageKey!);
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(file, bytes);
    // Verify again (what the console's "Verify" does): the run goes back to VERIFYING.
    await t.db.backupRun.update({ where: { id: runId }, data: { status: "VERIFYING" } });
    await running.queues.get("restore")!.add("verify-backup", { runId }, { jobId: `verify-${runId}-again` });
    const after = await finished(runId);
    expect(after.status).toBe("FAILED");
    expect(after.error).toMatch(/verification failed: checksum mismatch: .* has SHA-256 [0-9a-f]{16}…, the backup recorded [0-9a-f]{16}…: the file was changed or damaged after it was written; do not restore from it/);
  });

  it("fails a backup of a database that does not exist, in plain words, without retrying", async () => {
    const plan = await t.db.backupPlan.create({ data: { id: "bp_missing", name: "missing", endpointId, database: "dbmesh_it_no_such_db", cron: "0 3 * * *", verification: "NONE", storagePath: "missing" } });
    const runId = await runNow(plan.id);
    const run = await finished(runId);
    expect(run.status).toBe("FAILED");
    expect(run.attempt).toBe(1);
    expect(run.error).toMatch(/cannot connect to .*dbmesh_it_no_such_db: database "dbmesh_it_no_such_db" does not exist/);
  });

  it("refuses a pg_dump older than the server, saying which version to install", async () => {
    // A pg_dump that reports version 14 (the real server is newer): the check must stop before dumping.
    const bin = join(dir, "old-bin");
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, "pg_dump"), "#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.11'\n");
    await chmod(join(bin, "pg_dump"), 0o755);
    const plan = await t.db.backupPlan.create({ data: { id: "bp_old", name: "old", endpointId, cron: "0 3 * * *", verification: "NONE", storagePath: "old" } });
    const id = `br_${randomBytes(8).toString("hex")}`;
    await t.db.backupRun.create({ data: { id, planId: plan.id, slot: `manual:${id}`, trigger: "manual" } });
    const deps = createBackupDeps(t.db, pino({ level: "silent" }), { ...DEFAULT_BACKUP_SETTINGS, secretKey, root: dir, binDir: bin }, running.queues.get("restore")!);
    const out = await performBackup(deps, id);
    expect(out.kind).toBe("failed");
    const run = await t.db.backupRun.findUniqueOrThrow({ where: { id } });
    expect(run.status).toBe("FAILED");
    expect(run.error).toMatch(/^pg_dump 14\.11 is older than the server at 127\.0\.0\.1:5432\/dbmesh_it_src_\w+ \(PostgreSQL 1\d\.\d+\): pg_dump must be version 1\d or newer\. Install postgresql-client-1\d/);
    expect(await new LocalDirectoryStorage("old", dir).list()).toEqual([]);
  });

  it("verifies the backup of an empty database (no tables is still a good backup)", async () => {
    const empty = scratchName("empty");
    await sql("postgres", `CREATE DATABASE "${empty}"`);
    try {
      const plan = await t.db.backupPlan.create({ data: { id: "bp_empty", name: "empty", endpointId, database: empty, cron: "0 3 * * *", verification: "LIST", storagePath: "empty" } });
      const run = await finished(await runNow(plan.id));
      expect(run.error).toBeNull();
      expect(run.status).toBe("SUCCEEDED");
      expect(run.verifyResult).toMatch(/^checksum ok; pg_restore --list read the whole archive \(\d+ TOC entries\)$/);
      expect(run.manifest).toMatchObject({ tables: [] });
    } finally {
      await dropDatabases(empty);
    }
  });

  it("runs a plan from its real BullMQ job scheduler: one run per scheduled slot, named by the slot's time", async () => {
    const plan = await t.db.backupPlan.create({ data: { id: "bp_sched", name: "sched", endpointId, cron: "*/2 * * * * *", verification: "NONE", storagePath: "sched", maxAttempts: 2 } });
    const queue = running.queues.get("backup")!;
    await upsertBackupSchedule(queue, plan);
    try {
      const runs = await waitFor("two scheduled runs to succeed", async () => {
        const rs = await t.db.backupRun.findMany({ where: { planId: plan.id, status: "SUCCEEDED" } });
        return rs.length >= 2 ? rs : null;
      }, 30_000);
      for (const r of runs) {
        expect(r.trigger).toBe("schedule");
        // The slot is the time BullMQ scheduled the job for: whole even seconds, as the pattern says.
        expect(r.slot).toMatch(/^cron:\d{4}-\d\d-\d\dT\d\d:\d\d:\d[02468]\.000Z$/);
      }
    } finally {
      await removeBackupSchedule(queue, plan.id);
    }
    expect(await queue.getJobScheduler(`backup-plan-${plan.id}`)).toBeUndefined();
    const all = await t.db.backupRun.findMany({ where: { planId: plan.id } });
    expect(new Set(all.map((r) => r.slot)).size).toBe(all.length);
  });

  it("runs one backup at a time per endpoint, even with worker concurrency 2", async () => {
    const plan = await t.db.backupPlan.create({ data: { id: "bp_limit", name: "limit", endpointId, cron: "0 3 * * *", verification: "NONE", storagePath: "limit" } });
    const ids = await Promise.all([runNow(plan.id), runNow(plan.id), runNow(plan.id)]);
    const runs = await Promise.all(ids.map(finished));
    expect(runs.map((r) => r.status)).toEqual(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
    // A run is claimed (startedAt) only once the one before it has finished.
    const spans = runs.map((r) => [r.startedAt!.getTime(), r.finishedAt!.getTime()] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });

  it("reads Redis' maxmemory-policy at start (noeviction here)", async () => {
    const redis = createRedis(redisUrl, { forWorker: true });
    try {
      expect(await checkEvictionPolicy(redis, pino({ level: "silent" }))).toBe("noeviction");
    } finally {
      await redis.quit();
    }
  });
});
