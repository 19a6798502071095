// Backup plans, runs and restores through the API: validation, job schedulers in real Redis kept in
// step with the rows, "Run now", restore confirmation, audit rows, and the dashboard's attention list.
import { randomBytes } from "node:crypto";
import { backupSchedulerId, createRedis, queuePrefix } from "@dbmesh/queue";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeBackupQueues } from "./services/backups/queues";
import { createHarness, type Caller, type Harness } from "./testing/harness";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefixBase = `dbmesh-test-${randomBytes(4).toString("hex")}`;
let h: Harness;
let dba: Caller;
let backupQ: Queue;
let restoreQ: Queue;
let endpointId: string;

const plan = (over: Record<string, unknown> = {}) => ({
  name: "nightly",
  sourceKind: "endpoint" as const,
  endpointId,
  cron: "30 2 * * *",
  timezone: "Europe/Paris",
  storagePath: ".dbmesh/backups",
  retentionKeep: 7,
  retentionDays: null,
  verification: "LIST" as const,
  paused: false,
  maxAttempts: 3,
  ...over,
});

beforeAll(async () => {
  h = await createHarness({ DBMESH_QUEUE_PREFIX: prefixBase });
  dba = await h.as("DBA");
  await dba.environment.create({ name: "prod", description: "", production: true });
  endpointId = (await dba.endpoint.create({ name: "pg-main", environment: "prod", protocol: "POSTGRESQL", host: "127.0.0.1", port: 5432, database: "app", username: "postgres", password: "pw-secret", role: "PRIMARY", weight: 1, labels: {} })).id;
  const connection = createRedis(redisUrl, { forWorker: true });
  backupQ = new Queue("backup", { connection, prefix: queuePrefix(prefixBase) });
  restoreQ = new Queue("restore", { connection, prefix: queuePrefix(prefixBase) });
});

afterAll(async () => {
  for (const q of [backupQ, restoreQ]) {
    for (const s of (await q?.getJobSchedulers(0, -1)) ?? []) await q.removeJobScheduler(s.key);
    await q?.obliterate({ force: true }).catch(() => {});
    await q?.close();
  }
  await closeBackupQueues();
  await h?.close();
});

const auditActions = async (objectId: string) => (await h.tdb.db.auditEvent.findMany({ where: { objectId }, orderBy: { id: "asc" } })).map((a) => a.action);

describe("backup plans", () => {
  let planId: string;

  it("refuses a bad cron pattern or time zone, naming the field", async () => {
    await expect(dba.backupPlan.create(plan({ cron: "0 3 * *" }))).rejects.toThrow(/a cron pattern has 5 fields/);
    await expect(dba.backupPlan.create(plan({ timezone: "Mars/Olympus" }))).rejects.toThrow(/unknown time zone \\"Mars\/Olympus\\"/);
    await expect(dba.backupPlan.create(plan({ storagePath: "../etc" }))).rejects.toThrow(/no '\.\.' in the path/);
    expect(await h.tdb.db.backupPlan.count()).toBe(0);
  });

  it("creates a plan with its job scheduler (cron + time zone), audited", async () => {
    planId = (await dba.backupPlan.create(plan())).id;
    const s = await backupQ.getJobScheduler(backupSchedulerId(planId));
    expect(s).toMatchObject({ name: "run-backup", pattern: "30 2 * * *", tz: "Europe/Paris" });
    const view = await dba.backupPlan.get({ id: planId });
    expect(view).toMatchObject({ name: "nightly", schedule: "At 02:30", source: { kind: "endpoint", name: "pg-main" }, attention: null });
    expect(view.nextRunAt).toBeInstanceOf(Date);
    expect(await auditActions(planId)).toEqual(["backup_plan.create"]);
  });

  it("pausing removes the scheduler, resuming and editing put it back", async () => {
    await dba.backupPlan.update({ id: planId, data: plan({ paused: true }) });
    expect(await backupQ.getJobScheduler(backupSchedulerId(planId))).toBeUndefined();
    await dba.backupPlan.update({ id: planId, data: plan({ paused: false, cron: "0 4 * * 1" }) });
    expect(await backupQ.getJobScheduler(backupSchedulerId(planId))).toMatchObject({ pattern: "0 4 * * 1" });
    expect(await auditActions(planId)).toEqual(["backup_plan.create", "backup_plan.pause", "backup_plan.resume"]);
  });

  it("Run now creates a queued run and its job, audited with who asked", async () => {
    const run = await dba.backupPlan.runNow({ planId });
    expect(run).toMatchObject({ status: "QUEUED", trigger: "manual" });
    const job = await backupQ.getJob(run.id);
    expect(job?.data).toEqual({ runId: run.id });
    expect(job?.opts.attempts).toBe(3);
    const audit = await h.tdb.db.auditEvent.findFirstOrThrow({ where: { objectId: run.id } });
    expect(audit).toMatchObject({ action: "backup.run_now", actorKind: "token" });
    expect(audit.actorEmail).toMatch(/^dba-/);
  });

  it("DEVELOPER and AUDITOR read plans but may not change or run them", async () => {
    for (const role of ["DEVELOPER", "AUDITOR"] as const) {
      const c = await h.as(role);
      expect((await c.backupPlan.list()).map((p) => p.name)).toEqual(["nightly"]);
      await expect(c.backupPlan.runNow({ planId })).rejects.toThrow(/may not call backupPlan.runNow/);
      await expect(c.backupPlan.update({ id: planId, data: plan() })).rejects.toThrow(/may not call backupPlan.update/);
    }
  });

  it("flags plans whose last run failed, and plans whose scheduled backup is overdue", async () => {
    const failing = (await dba.backupPlan.create(plan({ name: "failing" }))).id;
    await h.tdb.db.backupRun.create({ data: { id: "br_failed1", planId: failing, slot: "manual:x", trigger: "manual", status: "FAILED", error: "pg_dump exited with code 1", finishedAt: new Date() } });
    const late = (await dba.backupPlan.create(plan({ name: "late", cron: "0 * * * *" }))).id;
    await h.tdb.db.backupPlan.update({ where: { id: late }, data: { createdAt: new Date(Date.now() - 5 * 60 * 60 * 1000) } });
    const attention = await dba.backupPlan.attention();
    expect(attention.map((p) => [p.name, p.attention]).sort()).toEqual([["failing", "failed"], ["late", "overdue"]]);
  });

  it("refuses to restore over a database without its name typed again, then queues it, audited", async () => {
    await h.tdb.db.backupRun.create({ data: { id: "br_ok1", planId, slot: "manual:ok", trigger: "manual", status: "SUCCEEDED", storageKey: "k.dump", sha256: "x", sizeBytes: 10n, finishedAt: new Date() } });
    await expect(dba.restore.create({ backupRunId: "br_ok1", endpointId, targetDatabase: "app", overwrite: true, confirmName: "ap" })).rejects.toThrow(/type the database name \(app\) to confirm it will be replaced/);
    await expect(dba.restore.create({ backupRunId: "br_failed1", endpointId, targetDatabase: "fresh" })).rejects.toThrow(/cannot be restored: it is failed/);
    await expect(dba.restore.create({ backupRunId: "br_ok1", endpointId, targetDatabase: "Bad-Name" })).rejects.toThrow(/lowercase letters, digits and '_'/);
    const r = await dba.restore.create({ backupRunId: "br_ok1", endpointId, targetDatabase: "app", overwrite: true, confirmName: "app" });
    expect((await restoreQ.getJob(r.id))?.data).toEqual({ restoreId: r.id });
    expect(await auditActions(r.id)).toEqual(["restore.request_overwrite"]);
    expect((await dba.backupRun.get({ id: "br_ok1" })).restores.map((x) => x.targetDatabase)).toEqual(["app"]);
  });

  it("deleting a backup marks it, audits it and queues the file's removal", async () => {
    await h.tdb.db.restoreRun.updateMany({ data: { status: "SUCCEEDED" } });
    await dba.backupRun.delete({ id: "br_ok1" });
    expect((await h.tdb.db.backupRun.findUniqueOrThrow({ where: { id: "br_ok1" } })).deletedAt).toBeInstanceOf(Date);
    expect(await backupQ.getJob("delete-br_ok1")).toBeDefined();
    expect(await auditActions("br_ok1")).toEqual(["backup.delete"]);
    await expect(dba.restore.create({ backupRunId: "br_ok1", endpointId, targetDatabase: "fresh" })).rejects.toThrow(/cannot be restored: it is deleted/);
  });

  it("deleting a plan removes its scheduler, audited", async () => {
    await h.tdb.db.backupRun.updateMany({ where: { planId, status: "QUEUED" }, data: { status: "FAILED" } });
    await dba.backupPlan.delete({ id: planId });
    expect(await backupQ.getJobScheduler(backupSchedulerId(planId))).toBeUndefined();
    expect((await auditActions(planId)).at(-1)).toBe("backup_plan.delete");
  });
});

describe("with Redis unreachable", () => {
  it("changes nothing and says why", async () => {
    const h2 = await createHarness({ REDIS_URL: "redis://127.0.0.1:1", DBMESH_QUEUE_PREFIX: prefixBase });
    try {
      const c = await h2.as("ADMIN");
      await c.environment.create({ name: "x", description: "", production: false });
      const ep = await c.endpoint.create({ name: "e", environment: "x", protocol: "POSTGRESQL", host: "127.0.0.1", port: 5432, database: "d", username: "u", role: "PRIMARY", weight: 1, labels: {} });
      await expect(c.backupPlan.create(plan({ endpointId: ep.id }))).rejects.toThrow(/the job queue is unreachable, nothing was changed: cannot reach Redis/);
      expect(await h2.tdb.db.backupPlan.count()).toBe(0);
    } finally {
      await h2.close();
    }
  });
});
