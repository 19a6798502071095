import type { Prisma } from "@dbmesh/db";
import type pg from "pg";
import { newId } from "../../ids";
import { mutate } from "../mutation";
import { applyStatements, readTargetHistory, StageFailure, TargetBusy, toApplied, type AppliedStatement, type StatementOutput } from "./apply-statements";
import { describeSchema } from "./describe-schema";
import { lintChangeSql } from "./lint";
import { schemaHash } from "./schema-diff";
import { workerContext, type WorkerDeps } from "./system-actor";
import { connectTarget, loadTargetEndpoint } from "./target-db";
import { resolveTargets } from "./targets";

type StageRow = Prisma.ChangeStageGetPayload<{ include: { changeRequest: true } }>;

export function changeKeyOf(stage: Pick<StageRow, "changeRequestId" | "version" | "kind">): string {
  return `${stage.changeRequestId}:v${stage.version}:${stage.kind}`;
}

/** Mirrors the target's dbmesh_schema_history rows of this change into the control database. */
async function recordHistory(tx: Prisma.TransactionClient, stage: StageRow, applied: AppliedStatement[]): Promise<number> {
  if (applied.length === 0) return 0;
  const { count } = await tx.schemaChangeHistory.createMany({
    skipDuplicates: true,
    data: applied.map((a) => ({
      stageId: stage.id,
      changeRequestId: stage.changeRequestId,
      version: stage.version,
      kind: stage.kind,
      virtualDatabaseId: stage.changeRequest.virtualDatabaseId,
      environmentName: stage.environmentName,
      endpointId: stage.endpointId,
      endpointName: stage.endpointName,
      statementIndex: a.index,
      statementHash: a.statementHash,
      statement: a.statement,
      appliedAt: a.appliedAt,
      appliedBy: a.appliedBy,
      durationMs: a.durationMs,
      rowCount: a.rowCount,
    })),
  });
  return count;
}

/**
 * Runs one stage: applies the change (or its rollback) to the stage's target. Safe to run again at
 * any point — after a crash, a killed worker or a BullMQ retry — because the target's
 * dbmesh_schema_history, written in the same transaction as each change, says what is applied.
 */
export async function runStage(deps: WorkerDeps, stageId: string, opts: { lastAttempt: boolean } = { lastAttempt: true }): Promise<{ status: string; skipped?: string }> {
  const { db, log } = deps;
  const ctx = workerContext(db);
  const initial = await db.changeStage.findUnique({ where: { id: stageId }, include: { changeRequest: true } });
  if (!initial) return { status: "missing", skipped: "stage deleted" };
  if (!["SCHEDULED", "QUEUED", "RUNNING"].includes(initial.status)) return { status: initial.status, skipped: `stage is ${initial.status.toLowerCase()}` };

  const stage = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    // Conditional: a DBA may have cancelled the stage since it was read.
    const { count } = await tx.changeStage.updateMany({
      where: { id: stageId, status: { in: ["SCHEDULED", "QUEUED", "RUNNING"] } },
      data: { status: "RUNNING", startedAt: initial.startedAt ?? new Date(), attempts: { increment: 1 } },
    });
    if (count === 0) return null;
    const s = await tx.changeStage.findUniqueOrThrow({ where: { id: stageId }, include: { changeRequest: true } });
    await audit({
      action: initial.status === "RUNNING" ? "change_stage.resume" : "change_stage.start",
      objectType: "change_request",
      objectId: s.changeRequestId,
      objectName: s.changeRequest.title,
      after: { stageId, kind: s.kind, endpoint: s.endpointName, attempt: s.attempts },
    });
    return s;
  });
  if (!stage) return { status: "CANCELLED", skipped: "stage cancelled before it started" };

  let client: pg.Client | undefined;
  let outputs: StatementOutput[] = [];
  try {
    const version = await db.changeVersion.findUniqueOrThrow({ where: { changeRequestId_version: { changeRequestId: stage.changeRequestId, version: stage.version } } });
    const sql = stage.kind === "APPLY" ? version.sql : (version.rollbackSql ?? "");
    const lint = await lintChangeSql(sql);
    if (lint.parseError) throw new StageFailure(`the ${stage.kind === "APPLY" ? "" : "rollback "}SQL does not parse (line ${lint.parseError.line}): ${lint.parseError.message}`, []);
    const endpoint = await loadTargetEndpoint(db, stage.endpointId);
    client = await connectTarget(endpoint, deps.secretKey, `dbmesh-rollout-${stage.id}`);
    const target = client;
    outputs = await applyStatements(target, lint.statements, {
      changeKey: changeKeyOf(stage),
      changeRequestId: stage.changeRequestId,
      version: stage.version,
      kind: stage.kind,
      stageId: stage.id,
      appliedBy: stage.requestedByEmail ?? "dbmesh",
      lockTimeoutMs: stage.lockTimeoutMs,
      statementTimeoutMs: stage.statementTimeoutMs,
      lockRetries: stage.lockRetries,
      retryBackoffMs: stage.retryBackoffMs,
      onProgress: async (progress, applied) => {
        await mutate(ctx, { mesh: false }, async (tx, audit) => {
          const added = await recordHistory(tx, stage, applied);
          await tx.changeStage.update({ where: { id: stage.id }, data: { output: progress as unknown as Prisma.InputJsonValue } });
          if (added) await audit({ action: "change_stage.progress", objectType: "change_request", objectId: stage.changeRequestId, objectName: stage.changeRequest.title, after: { stageId: stage.id, applied: applied.map((a) => a.index + 1) } });
        });
      },
    });
    const schema = await describeSchema(target);
    const applied = (await readTargetHistory(target, changeKeyOf(stage))).filter((r) => r.status === "applied").map(toApplied);
    await mutate(ctx, { mesh: false }, async (tx, audit) => {
      await recordHistory(tx, stage, applied);
      await tx.changeStage.update({ where: { id: stage.id }, data: { status: "SUCCEEDED", finishedAt: new Date(), error: null, output: outputs as unknown as Prisma.InputJsonValue } });
      const snapshot = await tx.schemaSnapshot.create({
        data: { id: newId("snap"), endpointId: stage.endpointId, endpointName: stage.endpointName, stageId: stage.id, changeRequestId: stage.changeRequestId, schema, hash: schemaHash(schema) },
      });
      // The snapshot is the new baseline: drift recorded against the old one is settled by it.
      await tx.schemaDrift.updateMany({ where: { endpointId: stage.endpointId, resolvedAt: null }, data: { resolvedAt: new Date() } });
      // DONE once every target has the change; CLOSED when it was rolled back everywhere it was applied.
      const targets = await resolveTargets(tx, stage.changeRequest);
      const succeeded = await tx.changeStage.findMany({ where: { changeRequestId: stage.changeRequestId, version: stage.version, status: "SUCCEEDED" }, select: { endpointId: true, kind: true } });
      const appliedOn = new Set(succeeded.filter((s) => s.kind === "APPLY").map((s) => s.endpointId));
      const rolledBackOn = new Set(succeeded.filter((s) => s.kind === "ROLLBACK").map((s) => s.endpointId));
      const status =
        rolledBackOn.size > 0 && [...appliedOn].every((e) => rolledBackOn.has(e)) ? "CLOSED" : targets.every((t) => appliedOn.has(t.endpointId)) ? "DONE" : "ROLLING_OUT";
      await tx.changeRequest.update({ where: { id: stage.changeRequestId }, data: { status } });
      await audit({
        action: "change_stage.succeed",
        objectType: "change_request",
        objectId: stage.changeRequestId,
        objectName: stage.changeRequest.title,
        after: { stageId: stage.id, kind: stage.kind, endpoint: stage.endpointName, applied: outputs.filter((o) => o.status === "applied").length, snapshotId: snapshot.id, status },
      });
    });
    log.info({ stageId, endpoint: stage.endpointName }, "stage succeeded");
    return { status: "SUCCEEDED" };
  } catch (err) {
    if (err instanceof TargetBusy && !opts.lastAttempt) throw err; // BullMQ retries with backoff
    const message = err instanceof StageFailure || err instanceof TargetBusy ? err.message : `${(err as Error).message}`;
    if (err instanceof StageFailure) outputs = err.outputs;
    const applied = client ? await readTargetHistory(client, changeKeyOf(stage)).then((rows) => rows.filter((r) => r.status === "applied").map(toApplied)).catch(() => []) : [];
    await mutate(ctx, { mesh: false }, async (tx, audit) => {
      await recordHistory(tx, stage, applied);
      await tx.changeStage.update({ where: { id: stage.id }, data: { status: "FAILED", finishedAt: new Date(), error: message, output: outputs as unknown as Prisma.InputJsonValue } });
      if (stage.kind === "APPLY") await tx.changeRequest.update({ where: { id: stage.changeRequestId }, data: { status: "FAILED" } });
      await audit({
        action: "change_stage.fail",
        objectType: "change_request",
        objectId: stage.changeRequestId,
        objectName: stage.changeRequest.title,
        after: { stageId: stage.id, kind: stage.kind, endpoint: stage.endpointName, error: message },
      });
    });
    log.warn({ stageId, endpoint: stage.endpointName, error: message }, "stage failed");
    return { status: "FAILED" };
  } finally {
    await client?.end().catch(() => {});
  }
}



/**
 * BullMQ gave the stage's job up (its worker died again and again, or every attempt threw): a stage
 * still marked RUNNING or QUEUED is failed with the reason, so a person can look and retry. The
 * target's dbmesh_schema_history still says exactly what was applied; a retry resumes from it.
 */
export async function giveUpStage(deps: WorkerDeps, stageId: string, reason: string): Promise<boolean> {
  const ctx = workerContext(deps.db);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const stage = await tx.changeStage.findUnique({ where: { id: stageId }, include: { changeRequest: true } });
    if (!stage) return false;
    const error = `the worker gave this stage up (${reason}): see dbmesh_schema_history on ${stage.endpointName} for what was applied, then retry`;
    const { count } = await tx.changeStage.updateMany({
      where: { id: stageId, status: { in: ["QUEUED", "RUNNING", "SCHEDULED"] } },
      data: { status: "FAILED", finishedAt: new Date(), error },
    });
    if (count === 0) return false;
    if (stage.kind === "APPLY") await tx.changeRequest.update({ where: { id: stage.changeRequestId }, data: { status: "FAILED" } });
    await audit({ action: "change_stage.give_up", objectType: "change_request", objectId: stage.changeRequestId, objectName: stage.changeRequest.title, after: { stageId, endpoint: stage.endpointName, error } });
    deps.log.warn({ stageId, reason }, "stage given up");
    return true;
  });
}
