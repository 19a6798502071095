// Backup plans: the rows, their BullMQ job schedulers (updated inside the same transaction, so a
// Redis failure rolls the change back), "Run now", and what the dashboard should flag.
import { BackupPlanInput, describeCron, nextRuns, previousRun } from "@dbmesh/backup";
import type { BackupPlan, BackupRun } from "@dbmesh/db";
import { backupJobOptions, removeBackupSchedule, upsertBackupSchedule } from "@dbmesh/queue";
import type { Context } from "../../context";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { duplicateName, mutate, notFound, type Tx } from "../mutation";
import { backupQueue } from "./queues";

/** A plan whose latest scheduled slot has no good backup this long after it is overdue. */
const OVERDUE_GRACE_MS = 30 * 60 * 1000;

type PlanRow = BackupPlan & { endpoint: { id: string; name: string } | null; virtualDatabase: { id: string; name: string } | null };

export function runSummary(r: BackupRun) {
  return {
    id: r.id,
    planId: r.planId,
    status: r.status,
    trigger: r.trigger,
    triggeredBy: r.triggeredBy,
    slot: r.slot,
    attempt: r.attempt,
    queuedAt: r.queuedAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    bytesWritten: Number(r.bytesWritten),
    sizeBytes: r.sizeBytes === null ? null : Number(r.sizeBytes),
    sha256: r.sha256,
    error: r.error,
    verifiedAt: r.verifiedAt,
    deletedAt: r.deletedAt,
  };
}
export type RunSummary = ReturnType<typeof runSummary>;

function planView(p: PlanRow, lastRun: BackupRun | null, lastSuccess: BackupRun | null, now = new Date()) {
  const active = lastRun && ["QUEUED", "RUNNING", "VERIFYING"].includes(lastRun.status);
  const prev = p.paused ? null : previousRun(p.cron, p.timezone, new Date(now.getTime() - OVERDUE_GRACE_MS));
  const overdue = !!prev && prev > p.createdAt && !active && (!lastSuccess || lastSuccess.queuedAt < prev);
  const failed = lastRun?.status === "FAILED";
  let next: Date | null = null;
  try {
    next = p.paused ? null : (nextRuns(p.cron, p.timezone, 1, now)[0] ?? null);
  } catch {
    next = null;
  }
  return {
    id: p.id,
    name: p.name,
    source: p.endpoint
      ? { kind: "endpoint" as const, id: p.endpoint.id, name: p.endpoint.name }
      : { kind: "virtualDatabase" as const, id: p.virtualDatabase?.id ?? "", name: p.virtualDatabase?.name ?? "?" },
    database: p.database,
    cron: p.cron,
    timezone: p.timezone,
    schedule: describeCron(p.cron),
    nextRunAt: next,
    method: p.method,
    storageKind: p.storageKind,
    storagePath: p.storagePath,
    retentionKeep: p.retentionKeep,
    retentionDays: p.retentionDays,
    verification: p.verification,
    paused: p.paused,
    maxAttempts: p.maxAttempts,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    lastRun: lastRun ? runSummary(lastRun) : null,
    lastSuccessAt: lastSuccess?.finishedAt ?? null,
    attention: failed ? ("failed" as const) : overdue ? ("overdue" as const) : null,
    overdueSince: overdue ? prev : null,
  };
}
export type PlanView = ReturnType<typeof planView>;

const include = { endpoint: { select: { id: true, name: true } }, virtualDatabase: { select: { id: true, name: true } } } as const;

export async function listPlans(ctx: Context): Promise<PlanView[]> {
  const plans = await ctx.db.backupPlan.findMany({ include, orderBy: { name: "asc" } });
  if (!plans.length) return [];
  const ids = plans.map((p) => p.id);
  // The latest run and the latest success of each plan, in two queries.
  const last = await ctx.db.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT ON (plan_id) id FROM backup_run WHERE plan_id = ANY(${ids}) ORDER BY plan_id, queued_at DESC`;
  const ok = await ctx.db.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT ON (plan_id) id FROM backup_run WHERE plan_id = ANY(${ids}) AND status = 'SUCCEEDED' ORDER BY plan_id, queued_at DESC`;
  const runs = await ctx.db.backupRun.findMany({ where: { id: { in: [...last, ...ok].map((r) => r.id) } } });
  const byId = new Map(runs.map((r) => [r.id, r]));
  const lastOf = new Map<string, BackupRun>();
  const okOf = new Map<string, BackupRun>();
  for (const { id } of last) {
    const r = byId.get(id);
    if (r) lastOf.set(r.planId, r);
  }
  for (const { id } of ok) {
    const r = byId.get(id);
    if (r) okOf.set(r.planId, r);
  }
  return plans.map((p) => planView(p, lastOf.get(p.id) ?? null, okOf.get(p.id) ?? null));
}

export async function getPlan(ctx: Context, id: string): Promise<PlanView> {
  const p = await ctx.db.backupPlan.findUnique({ where: { id }, include });
  if (!p) throw notFound("backup plan", id);
  const [lastRun, lastSuccess] = await Promise.all([
    ctx.db.backupRun.findFirst({ where: { planId: id }, orderBy: { queuedAt: "desc" } }),
    ctx.db.backupRun.findFirst({ where: { planId: id, status: "SUCCEEDED" }, orderBy: { queuedAt: "desc" } }),
  ]);
  return planView(p, lastRun, lastSuccess);
}

/** Plans the dashboard should show: the last run failed, or a scheduled backup is overdue. */
export async function plansNeedingAttention(ctx: Context) {
  return (await listPlans(ctx)).filter((p) => p.attention !== null);
}

async function checkSource(tx: Tx, input: BackupPlanInput): Promise<{ endpointId: string | null; virtualDatabaseId: string | null }> {
  if (input.sourceKind === "endpoint") {
    const ep = await tx.databaseEndpoint.findUnique({ where: { id: input.endpointId ?? "" } });
    if (!ep) throw new AppError("BAD_REQUEST", "that endpoint does not exist (any more)", { field: "endpointId" });
    if (ep.protocol !== "POSTGRESQL") throw new AppError("BAD_REQUEST", `endpoint "${ep.name}" is ${ep.protocol}: only PostgreSQL endpoints can be backed up with pg_dump`, { field: "endpointId" });
    return { endpointId: ep.id, virtualDatabaseId: null };
  }
  const vdb = await tx.virtualDatabase.findUnique({ where: { id: input.virtualDatabaseId ?? "" } });
  if (!vdb) throw new AppError("BAD_REQUEST", "that virtual database does not exist (any more)", { field: "virtualDatabaseId" });
  return { endpointId: null, virtualDatabaseId: vdb.id };
}

function auditShape(p: BackupPlan) {
  const { createdAt: _c, updatedAt: _u, ...rest } = p;
  return rest;
}

export async function savePlan(ctx: Context, input: BackupPlanInput, id?: string): Promise<{ id: string }> {
  const queue = await backupQueue(ctx.env, "backup");
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const clash = await tx.backupPlan.findUnique({ where: { name: input.name } });
    if (clash && clash.id !== id) throw duplicateName("backup plan", input.name);
    const source = await checkSource(tx, input);
    const data = {
      name: input.name,
      ...source,
      database: input.database || null,
      cron: input.cron,
      timezone: input.timezone,
      method: input.method,
      storageKind: input.storageKind,
      storagePath: input.storagePath,
      retentionKeep: input.retentionKeep,
      retentionDays: input.retentionDays,
      verification: input.verification,
      paused: input.paused,
      maxAttempts: input.maxAttempts,
    };
    let before: BackupPlan | null = null;
    let row: BackupPlan;
    if (id) {
      before = await tx.backupPlan.findUnique({ where: { id } });
      if (!before) throw notFound("backup plan", id);
      row = await tx.backupPlan.update({ where: { id }, data });
    } else {
      row = await tx.backupPlan.create({ data: { id: newId("bp"), ...data } });
    }
    const action = !id ? "backup_plan.create" : before && before.paused !== row.paused ? (row.paused ? "backup_plan.pause" : "backup_plan.resume") : "backup_plan.update";
    await audit({ action, objectType: "backup_plan", objectId: row.id, objectName: row.name, before: before ? auditShape(before) : null, after: auditShape(row) });
    // Last, inside the transaction: if Redis refuses, the plan change rolls back with it.
    await upsertBackupSchedule(queue, row);
    return { id: row.id };
  });
}

export async function deletePlan(ctx: Context, id: string): Promise<{ id: string }> {
  const queue = await backupQueue(ctx.env, "backup");
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const plan = await tx.backupPlan.findUnique({ where: { id } });
    if (!plan) throw notFound("backup plan", id);
    const active = await tx.backupRun.count({ where: { planId: id, status: { in: ["QUEUED", "RUNNING", "VERIFYING"] } } });
    if (active) throw new AppError("PRECONDITION_FAILED", `backup plan "${plan.name}" has ${active} backup(s) queued or running: wait for them, or pause the plan first`);
    const restores = await tx.restoreRun.count({ where: { backupRun: { planId: id }, status: { in: ["QUEUED", "RUNNING"] } } });
    if (restores) throw new AppError("PRECONDITION_FAILED", `a restore from backup plan "${plan.name}" is running: wait for it to finish`);
    const files = await tx.backupRun.count({ where: { planId: id, status: "SUCCEEDED", deletedAt: null } });
    await tx.restoreRun.deleteMany({ where: { backupRun: { planId: id } } });
    await tx.backupPlan.delete({ where: { id } });
    await audit({
      action: "backup_plan.delete",
      objectType: "backup_plan",
      objectId: id,
      objectName: plan.name,
      before: auditShape(plan),
      after: { backupFilesLeftInStorage: files, storagePath: plan.storagePath },
    });
    await removeBackupSchedule(queue, id);
    return { id };
  });
}

/** "Run now": a run row (audited) first, then its job; if the queue refuses, the run says so. */
export async function runPlanNow(ctx: Context, planId: string): Promise<RunSummary> {
  const queue = await backupQueue(ctx.env, "backup");
  const run = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const plan = await tx.backupPlan.findUnique({ where: { id: planId } });
    if (!plan) throw notFound("backup plan", planId);
    const id = newId("br");
    const row = await tx.backupRun.create({
      data: { id, planId, slot: `manual:${id}`, trigger: "manual", triggeredBy: ctx.actor?.email ?? null },
    });
    await audit({ action: "backup.run_now", objectType: "backup_run", objectId: id, objectName: plan.name, after: { planId } });
    return { row, plan };
  });
  try {
    // After the commit, so the worker always finds the row.
    await queue.add("run-backup", { runId: run.row.id }, { ...backupJobOptions(run.plan), jobId: run.row.id });
  } catch (err) {
    const error = `could not be queued: ${(err as Error).message}`;
    await mutate(ctx, { mesh: false }, async (tx, audit) => {
      await tx.backupRun.update({ where: { id: run.row.id }, data: { status: "FAILED", error, finishedAt: new Date() } });
      await audit({ action: "backup.failed", objectType: "backup_run", objectId: run.row.id, objectName: run.plan.name, after: { error } });
    });
    throw new AppError("PRECONDITION_FAILED", `the backup ${error}`);
  }
  return runSummary(run.row);
}
