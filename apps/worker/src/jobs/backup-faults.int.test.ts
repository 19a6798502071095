// Fault tests with real worker processes: a worker frozen (SIGSTOP) past its job lock, and a worker
// killed (kill -9) in the middle of a backup, again and again. Whatever happens, every run ends
// with one outcome, no temporary or stray file stays, and every recorded checksum is the file's.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalDirectoryStorage } from "@dbmesh/backup";
import { createTestDatabase, type TestDatabase } from "@dbmesh/db/testing";
import { createRedis, queuePrefix } from "@dbmesh/queue";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEndpoint, dropDatabases, scratchName, sql, waitFor } from "../backup/testing";

const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../../..");
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const secretKey = process.env.DBMESH_SECRET_KEY ?? "";
// Short, so that the test stays quick: a frozen or dead worker's job is taken over within seconds.
const LOCK_MS = 2_000;
const TERMINAL = ["SUCCEEDED", "FAILED"];

interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  output: string[];
}

describe("backups survive frozen and killed workers", () => {
  const prefixBase = `dbmesh-test-${randomBytes(4).toString("hex")}`;
  const source = scratchName("faults");
  let t: TestDatabase;
  let dir: string;
  let endpointId: string;
  let backupQueue: Queue;
  const children = new Set<ChildProcess>();

  async function startWorker(): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", "apps/worker/src/main.ts"], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: t.url,
        REDIS_URL: redisUrl,
        DBMESH_QUEUE_PREFIX: prefixBase,
        DBMESH_SECRET_KEY: secretKey,
        DBMESH_BACKUP_ROOT: dir,
        DBMESH_BACKUP_LOCK_MS: String(LOCK_MS),
        DBMESH_BACKUP_HEARTBEAT_MS: "300",
        DBMESH_WORKER_CONCURRENCY: "1",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    child.on("exit", () => children.delete(child));
    const output: string[] = [];
    const collect = (d: Buffer) => {
      output.push(d.toString());
      if (output.length > 400) output.shift();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    await waitFor("the worker to start", async () => {
      if (child.exitCode !== null) throw new Error(`worker exited at start:\n${output.join("")}`);
      return output.join("").includes('"msg":"worker started"');
    }, 60_000, 100);
    return { child, pid: child.pid!, output };
  }

  async function stopWorker(w: WorkerProcess): Promise<void> {
    if (w.child.exitCode !== null || w.child.signalCode !== null) return;
    const exited = new Promise((r) => w.child.once("exit", r));
    w.child.kill("SIGCONT");
    w.child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill("SIGKILL");
      await exited;
    }
  }

  const runsOf = (planId: string) => t.db.backupRun.findMany({ where: { planId }, orderBy: { queuedAt: "asc" } });

  /** The run a given worker process is dumping right now, once bytes have reached the file. */
  const dumping = (planId: string, pid: number) =>
    waitFor(`worker ${pid} to be in the middle of a backup`, async () => {
      const r = await t.db.backupRun.findFirst({ where: { planId, status: "RUNNING", worker: { endsWith: `:${pid}` }, bytesWritten: { gt: 0 } } });
      return r ?? null;
    }, 90_000, 50);

  /** Every file is the final file of a succeeded run, its checksum the one recorded; nothing else. */
  async function expectFilesMatchRuns(planId: string, storagePath: string): Promise<void> {
    const runs = await runsOf(planId);
    const storage = new LocalDirectoryStorage(storagePath, dir);
    const files = await storage.list();
    const succeeded = runs.filter((r) => r.status === "SUCCEEDED");
    expect(files).toEqual(succeeded.map((r) => r.storageKey!).sort());
    for (const r of succeeded) {
      const bytes = await readFile(join(dir, storagePath, r.storageKey!));
      expect(createHash("sha256").update(bytes).digest("hex"), `checksum of ${r.id}`).toBe(r.sha256);
      expect(bytes.length).toBe(Number(r.sizeBytes));
    }
  }

  /** One outcome per run: exactly one terminal audit row, matching the status. */
  async function expectOneOutcomeEach(planId: string): Promise<void> {
    for (const r of await runsOf(planId)) {
      const outcomes = await t.db.auditEvent.findMany({ where: { objectId: r.id, action: { in: ["backup.succeeded", "backup.failed"] } } });
      expect(outcomes.map((o) => o.action), `outcomes of ${r.id}`).toEqual([r.status === "SUCCEEDED" ? "backup.succeeded" : "backup.failed"]);
    }
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), "dbmesh-faults-"));
    // Big enough that pg_dump runs for a few seconds here: there is a "middle" to stop or kill it in.
    await sql("postgres", `CREATE DATABASE "${source}"`);
    await sql(source, `CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g*3)::text) || md5((g*7)::text) AS a, random() AS r FROM generate_series(1, 600000) g;
                       CREATE TABLE small (id int PRIMARY KEY, v text); INSERT INTO small SELECT g, 'v' || g FROM generate_series(1, 100) g;`);
    endpointId = await createEndpoint(t.db, source, secretKey);
    backupQueue = new Queue("backup", { connection: createRedis(redisUrl, { forWorker: true }), prefix: queuePrefix(prefixBase) });
  }, 120_000);

  afterAll(async () => {
    for (const c of children) {
      c.kill("SIGCONT");
      c.kill("SIGKILL");
    }
    for (const name of ["backup", "restore", "maintenance"]) {
      const q = new Queue(name, { connection: createRedis(redisUrl, { forWorker: true }), prefix: queuePrefix(prefixBase) });
      const schedulers = await q.getJobSchedulers(0, -1);
      for (const s of schedulers) await q.removeJobScheduler(s.key);
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
    }
    await backupQueue?.close();
    await dropDatabases(source);
    await t?.drop();
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it("SIGSTOP past twice the lock, then SIGCONT, 5 times: one outcome per run, no duplicate file", async () => {
    const plan = await t.db.backupPlan.create({ data: { id: "bp_stop", name: "stop", endpointId, cron: "0 3 * * *", verification: "NONE", storagePath: "stop", maxAttempts: 5 } });
    const workers = [await startWorker(), await startWorker()];
    let takeovers = 0;
    try {
      for (let i = 0; i < 5; i++) {
        const id = `br_stop${i}_${randomBytes(4).toString("hex")}`;
        await t.db.backupRun.create({ data: { id, planId: plan.id, slot: `manual:${id}`, trigger: "manual" } });
        await backupQueue.add("run-backup", { runId: id }, { jobId: id, attempts: 5 });
        const run = await waitFor(`run ${id} to be in the middle of its dump`, () => t.db.backupRun.findFirst({ where: { id, status: "RUNNING", bytesWritten: { gt: 0 } } }), 90_000, 50).catch((err: Error) => {
          throw new Error(`${err.message}\n--- worker output ---\n${workers.map((w) => w.output.join("")).join("\n---\n")}`);
        });
        const holder = workers.find((w) => run.worker?.endsWith(`:${w.pid}`));
        if (!holder) throw new Error(`run ${id} is held by ${run.worker}, none of ours`);
        holder.child.kill("SIGSTOP");
        await new Promise((r) => setTimeout(r, 2 * LOCK_MS));
        holder.child.kill("SIGCONT");
        const done = await waitFor(`run ${id} to finish`, async () => {
          const r = await t.db.backupRun.findUniqueOrThrow({ where: { id } });
          return TERMINAL.includes(r.status) ? r : null;
        }, 120_000);
        if (done.attempt > 1) takeovers++;
        expect(done.status, done.error ?? "").toBe("SUCCEEDED");
      }
      // Let the woken workers finish noticing they were replaced (they remove their own temps).
      await new Promise((r) => setTimeout(r, 2_000));
    } finally {
      for (const w of workers) await stopWorker(w);
    }
    // The freeze really cost the frozen worker its job at least once: the fence was exercised.
    expect(takeovers).toBeGreaterThan(0);
    expect(await runsOf(plan.id)).toHaveLength(5);
    await expectOneOutcomeEach(plan.id);
    await expectFilesMatchRuns(plan.id, "stop");
  }, 600_000);

  it("kill -9 in the middle of a backup 10 times in a row: every run ends, one run per slot, no partial file, checksums right", async () => {
    const plan = await t.db.backupPlan.create({ data: { id: "bp_kill", name: "kill", endpointId, cron: "0 3 * * *", verification: "NONE", storagePath: "kill", maxAttempts: 4 } });
    // Four scheduled slots, each delivered twice (as a duplicated scheduler job would be).
    const base = Date.UTC(2026, 10, 26, 1, 0, 0);
    for (let i = 0; i < 4; i++) {
      const ms = base + i * 60_000;
      await backupQueue.add("run-backup", { planId: plan.id }, { jobId: `repeat:backup-plan-${plan.id}:${ms}`, attempts: 4 });
      await backupQueue.add("run-backup", { planId: plan.id }, { jobId: `repeat:duplicate-${plan.id}:${ms}`, attempts: 4 });
    }
    for (let kill = 0; kill < 10; kill++) {
      const w = await startWorker();
      const run = await dumping(plan.id, w.pid);
      expect(run.status).toBe("RUNNING");
      w.child.kill("SIGKILL");
      await new Promise((r) => w.child.once("exit", r));
    }
    const last = await startWorker();
    try {
      await waitFor("every run to end and the queue to drain", async () => {
        const runs = await runsOf(plan.id);
        // (delayed jobs are the plans' next scheduled slots, hours away)
        const counts = await backupQueue.getJobCounts("active", "waiting", "prioritized");
        const pending = Object.values(counts).reduce((s, n) => s + n, 0);
        return runs.length === 4 && runs.every((r) => TERMINAL.includes(r.status)) && pending === 0;
      }, 180_000, 500).catch(async (err: Error) => {
        const runs = await runsOf(plan.id);
        const counts = await backupQueue.getJobCounts();
        throw new Error(`${err.message}\nruns: ${JSON.stringify(runs.map((r) => [r.slot, r.status, r.attempt, r.worker, r.error]))}\njobs: ${JSON.stringify(counts)}\n--- worker ---\n${last.output.join("").slice(-6000)}`);
      });
    } finally {
      await stopWorker(last);
    }
    const runs = await runsOf(plan.id);
    expect(runs.map((r) => r.slot)).toEqual([0, 1, 2, 3].map((i) => `cron:${new Date(base + i * 60_000).toISOString()}`));
    // Ten kills over four runs of four attempts each: some gave up, and every one says why.
    for (const r of runs.filter((x) => x.status === "FAILED")) expect(r.error).toMatch(/gave up after 4 attempt\(s\): the worker stopped in the middle of each/);
    expect(runs.reduce((s, r) => s + r.attempt, 0)).toBeGreaterThanOrEqual(10);
    await expectOneOutcomeEach(plan.id);
    await expectFilesMatchRuns(plan.id, "kill");
  }, 900_000);
});
