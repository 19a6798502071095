// Backup runs as the console reads them (timeline, detail, size history), and the two things a DBA
// does to one: verify it again, delete it. Deleting marks the row (audited) and queues the file's
// removal to the worker, which owns the storage.
import { Manifest, RestoreDatabaseName } from "@dbmesh/backup";
import { z } from "zod";
import type { Context } from "../../context";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { mutate, notFound } from "../mutation";
import { runSummary } from "./plans";
import { backupQueue } from "./queues";

export const RunListInput = z.object({
  planId: z.string().optional(),
  status: z.enum(["QUEUED", "RUNNING", "VERIFYING", "SUCCEEDED", "FAILED"]).optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

export async function listRuns(ctx: Context, input: z.infer<typeof RunListInput>) {
  const rows = await ctx.db.backupRun.findMany({
    where: { planId: input.planId, status: input.status },
    include: { plan: { select: { name: true } } },
    orderBy: { queuedAt: "desc" },
    take: input.limit,
  });
  return rows.map((r) => ({ ...runSummary(r), planName: r.plan.name }));
}

/** Sizes of succeeded backups over time, per plan (the chart on the Backups page). */
export async function runSizes(ctx: Context, input: { planId?: string; days: number }) {
  const since = new Date(Date.now() - input.days * 24 * 60 * 60 * 1000);
  const rows = await ctx.db.backupRun.findMany({
    where: { planId: input.planId, status: "SUCCEEDED", sizeBytes: { not: null }, finishedAt: { gte: since } },
    select: { id: true, planId: true, finishedAt: true, sizeBytes: true, plan: { select: { name: true } } },
    orderBy: { finishedAt: "asc" },
    take: 5000,
  });
  const series = new Map<string, { planId: string; name: string; points: { runId: string; at: Date; bytes: number }[] }>();
  for (const r of rows) {
    const s = series.get(r.planId) ?? { planId: r.planId, name: r.plan.name, points: [] };
    s.points.push({ runId: r.id, at: r.finishedAt!, bytes: Number(r.sizeBytes) });
    series.set(r.planId, s);
  }
  return [...series.values()];
}

export async function getRun(ctx: Context, id: string) {
  const r = await ctx.db.backupRun.findUnique({
    where: { id },
    include: {
      plan: { include: { endpoint: { select: { id: true, name: true } }, virtualDatabase: { select: { id: true, name: true } } } },
      restores: { orderBy: { queuedAt: "desc" }, include: { endpoint: { select: { name: true } } } },
    },
  });
  if (!r) throw notFound("backup run", id);
  const endpoint = r.endpointId ? await ctx.db.databaseEndpoint.findUnique({ where: { id: r.endpointId }, select: { id: true, name: true, database: true } }) : null;
  const manifest = Manifest.safeParse(r.manifest);
  return {
    ...runSummary(r),
    plan: { id: r.plan.id, name: r.plan.name, verification: r.plan.verification, storagePath: r.plan.storagePath, storageKind: r.plan.storageKind, maxAttempts: r.plan.maxAttempts },
    source: endpoint ? { endpointId: endpoint.id, endpointName: endpoint.name, database: r.database ?? endpoint.database } : null,
    storageKey: r.storageKey,
    serverVersion: r.serverVersion,
    toolVersion: r.toolVersion,
    worker: r.worker,
    heartbeatAt: r.heartbeatAt,
    verifyResult: r.verifyResult,
    logTail: r.logTail,
    manifest: manifest.success ? manifest.data : null,
    restores: r.restores.map(restoreView),
  };
}

type RestoreRow = Awaited<ReturnType<Context["db"]["restoreRun"]["findMany"]>>[number] & { endpoint: { name: string } };
export function restoreView(x: RestoreRow) {
  return {
    id: x.id,
    backupRunId: x.backupRunId,
    endpointId: x.endpointId,
    endpointName: x.endpoint.name,
    targetDatabase: x.targetDatabase,
    overwrite: x.overwrite,
    status: x.status,
    attempt: x.attempt,
    requestedBy: x.requestedBy,
    queuedAt: x.queuedAt,
    startedAt: x.startedAt,
    finishedAt: x.finishedAt,
    safetyKey: x.safetyKey,
    check: x.check as { ok: boolean; tables: number; rows: number; problems: string[] } | null,
    error: x.error,
    logTail: x.logTail,
  };
}

export async function verifyRunAgain(ctx: Context, id: string) {
  const queue = await backupQueue(ctx.env, "restore");
  const stamp = Date.now();
  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const r = await tx.backupRun.findUnique({ where: { id }, include: { plan: true } });
    if (!r) throw notFound("backup run", id);
    if (r.status !== "SUCCEEDED" || r.deletedAt) throw new AppError("PRECONDITION_FAILED", `only a succeeded backup that is still kept can be verified (this one is ${r.deletedAt ? "deleted" : r.status.toLowerCase()})`);
    await tx.backupRun.update({ where: { id }, data: { status: "VERIFYING", heartbeatAt: new Date() } });
    await audit({ action: "backup.verify", objectType: "backup_run", objectId: id, objectName: r.plan.name });
    await queue.add("verify-backup", { runId: id }, { jobId: `verify-${id}-${stamp}`, attempts: 3 });
  });
  return { id };
}

export async function deleteRun(ctx: Context, id: string) {
  const queue = await backupQueue(ctx.env, "backup");
  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const r = await tx.backupRun.findUnique({ where: { id }, include: { plan: true } });
    if (!r) throw notFound("backup run", id);
    if (["QUEUED", "RUNNING", "VERIFYING"].includes(r.status)) throw new AppError("PRECONDITION_FAILED", "this backup is still in progress: wait for it to finish");
    if (r.deletedAt) throw new AppError("PRECONDITION_FAILED", "this backup is already deleted");
    const restoring = await tx.restoreRun.count({ where: { backupRunId: id, status: { in: ["QUEUED", "RUNNING"] } } });
    if (restoring) throw new AppError("PRECONDITION_FAILED", "a restore from this backup is running: wait for it to finish");
    await tx.backupRun.update({ where: { id }, data: { deletedAt: new Date() } });
    await audit({ action: "backup.delete", objectType: "backup_run", objectId: id, objectName: r.plan.name, before: { key: r.storageKey, sha256: r.sha256, sizeBytes: r.sizeBytes?.toString() ?? null } });
    if (r.storageKey) await queue.add("delete-backup-file", { runId: id }, { jobId: `delete-${id}`, attempts: 5, backoff: { type: "exponential", delay: 10_000 } });
  });
  return { id };
}

export const RestoreInput = z
  .object({
    backupRunId: z.string().min(1),
    endpointId: z.string().min(1, "pick the endpoint to restore to"),
    targetDatabase: RestoreDatabaseName,
    overwrite: z.boolean().default(false),
    /** Restoring over an existing database: its name, typed again. */
    confirmName: z.string().optional(),
  })
  .superRefine((v, ctx) => {
    if (v.overwrite && v.confirmName !== v.targetDatabase) {
      ctx.addIssue({ code: "custom", path: ["confirmName"], message: `type the database name (${v.targetDatabase}) to confirm it will be replaced` });
    }
  });

export async function requestRestore(ctx: Context, input: z.infer<typeof RestoreInput>) {
  const queue = await backupQueue(ctx.env, "restore");
  const created = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const run = await tx.backupRun.findUnique({ where: { id: input.backupRunId }, include: { plan: true } });
    if (!run) throw notFound("backup run", input.backupRunId);
    if (run.status !== "SUCCEEDED" || run.deletedAt || !run.storageKey) {
      throw new AppError("PRECONDITION_FAILED", `this backup cannot be restored: it is ${run.deletedAt ? "deleted" : run.status.toLowerCase()}`);
    }
    const ep = await tx.databaseEndpoint.findUnique({ where: { id: input.endpointId } });
    if (!ep) throw new AppError("BAD_REQUEST", "that endpoint does not exist (any more)", { field: "endpointId" });
    if (ep.protocol !== "POSTGRESQL") throw new AppError("BAD_REQUEST", `endpoint "${ep.name}" is not PostgreSQL`, { field: "endpointId" });
    const busy = await tx.restoreRun.findFirst({ where: { endpointId: ep.id, targetDatabase: input.targetDatabase, status: { in: ["QUEUED", "RUNNING"] } } });
    if (busy) throw new AppError("CONFLICT", `a restore into "${input.targetDatabase}" on ${ep.name} is already running`, { field: "targetDatabase" });
    const id = newId("rr");
    const row = await tx.restoreRun.create({
      data: { id, backupRunId: run.id, endpointId: ep.id, targetDatabase: input.targetDatabase, overwrite: input.overwrite, requestedBy: ctx.actor?.email ?? null },
    });
    await audit({
      action: input.overwrite ? "restore.request_overwrite" : "restore.request",
      objectType: "restore_run",
      objectId: id,
      objectName: input.targetDatabase,
      after: { backupRunId: run.id, plan: run.plan.name, endpoint: ep.name, targetDatabase: input.targetDatabase, overwrite: input.overwrite },
    });
    return row;
  });
  try {
    await queue.add("run-restore", { restoreId: created.id }, { jobId: created.id, attempts: 3, backoff: { type: "exponential", delay: 15_000 } });
  } catch (err) {
    const error = `could not be queued: ${(err as Error).message}`;
    await mutate(ctx, { mesh: false }, async (tx, audit) => {
      await tx.restoreRun.update({ where: { id: created.id }, data: { status: "FAILED", error, finishedAt: new Date() } });
      await audit({ action: "restore.failed", objectType: "restore_run", objectId: created.id, objectName: created.targetDatabase, after: { error } });
    });
    throw new AppError("PRECONDITION_FAILED", `the restore ${error}`);
  }
  return { id: created.id };
}

export async function listRestores(ctx: Context, input: { backupRunId?: string; limit: number }) {
  const rows = await ctx.db.restoreRun.findMany({
    where: { backupRunId: input.backupRunId },
    include: { endpoint: { select: { name: true } } },
    orderBy: { queuedAt: "desc" },
    take: input.limit,
  });
  return rows.map(restoreView);
}

export async function getRestore(ctx: Context, id: string) {
  const r = await ctx.db.restoreRun.findUnique({ where: { id }, include: { endpoint: { select: { name: true } } } });
  if (!r) throw notFound("restore", id);
  return restoreView(r);
}
