import { z } from "zod";
import type { Context } from "../../context";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { mutate, notFound } from "../mutation";
import { actorOf, loadFull, type FullChange } from "./change-common";
import { enqueueSchemaJob } from "./enqueue";
import { environmentPolicies, type EnvironmentPolicy } from "./policy";
import { reviewState } from "./review";
import { resolveTargets, type ChangeTarget } from "./targets";

export const DeployInput = z.object({
  id: z.string().min(1),
  /** A maintenance window: the stage's job is delayed until then. */
  scheduledAt: z.coerce.date().optional(),
  lockTimeoutMs: z.number().int().min(100).max(600_000).default(5_000),
  statementTimeoutMs: z.number().int().min(1_000).max(24 * 3_600_000).default(600_000),
  lockRetries: z.number().int().min(0).max(10).default(3),
  retryBackoffMs: z.number().int().min(0).max(600_000).default(2_000),
});
export type DeployInput = z.infer<typeof DeployInput>;

export interface DeployState {
  /** The next APPLY stage to run, by target. */
  next: ChangeTarget | null;
  blockers: string[];
  approvalsRequired: number | null;
}

export function deployState(cr: FullChange, targets: ChangeTarget[], policies: EnvironmentPolicy[]): DeployState {
  const version = cr.versions.find((v) => v.version === cr.currentVersion)!;
  const applyStages = cr.stages.filter((s) => s.kind === "APPLY" && s.version === cr.currentVersion);
  const stageOf = (t: ChangeTarget) => applyStages.filter((s) => s.endpointId === t.endpointId).at(-1);
  const next = targets.find((t) => stageOf(t)?.status !== "SUCCEEDED") ?? null;
  const blockers: string[] = [];
  if (cr.status === "CLOSED") blockers.push("the change request is closed");
  // The target's history keeps the applied statements of this version: applying it again would
  // skip them. A change that was rolled back is re-applied as a new change request.
  const rolledBack = cr.stages.filter((s) => s.kind === "ROLLBACK" && s.status === "SUCCEEDED" && s.version === cr.currentVersion);
  if (rolledBack.length) {
    const where = [...new Set(rolledBack.map((s) => s.environmentName))].join(", ");
    return { next: null, blockers: [`the change was rolled back on ${where}: open a new change request to apply it again`], approvalsRequired: null };
  }
  if (!next) return { next, blockers: cr.status === "CLOSED" ? blockers : ["every target is done"], approvalsRequired: null };
  const current = stageOf(next);
  if (current && ["QUEUED", "RUNNING", "SCHEDULED"].includes(current.status)) blockers.push(`the ${next.environmentName} stage (${next.endpointName}) is already ${current.status.toLowerCase()}`);
  if (current?.status === "FAILED") blockers.push(`the ${next.environmentName} stage failed: retry it or fix the change`);
  if (version.checksStatus !== "DONE") blockers.push(version.checksStatus === "FAILED" ? "the checks could not run" : "the checks have not finished yet");
  if (version.errorCount > 0) blockers.push(`${version.errorCount} check error(s)`);
  const state = reviewState(cr);
  if (state.changesRequestedBy.length) blockers.push(`changes requested by ${state.changesRequestedBy.join(", ")}`);
  const policy = policies.find((p) => p.environmentId === next.environmentId);
  const required = policy?.approvalsRequired ?? 1;
  if (state.approvers.length < required) {
    const missing = required - state.approvers.length;
    blockers.push(`needs ${missing} more approval${missing > 1 ? "s" : ""} from a DBA for ${next.environmentName} (${required} required)`);
  }
  return { next, blockers, approvalsRequired: required };
}

const STUCK_AFTER_MS = 5 * 60_000;

function stageJobId(stageId: string, attempt: number) {
  return `stage-${stageId}-${attempt}`;
}

/** Queues (or schedules) the next stage of the rollout, after checking every rule that could block it. */
export async function deployNextStage(ctx: Context, input: DeployInput) {
  const actor = actorOf(ctx);
  const { stage, delay } = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const cr = await loadFull(tx, input.id);
    const targets = await resolveTargets(tx, cr);
    const policies = await environmentPolicies(tx);
    const state = deployState(cr, targets, policies);
    if (state.blockers.length || !state.next) throw new AppError("PRECONDITION_FAILED", `cannot deploy: ${state.blockers.join("; ")}`);
    const next = state.next;
    const position = targets.indexOf(next);
    const scheduled = input.scheduledAt && input.scheduledAt.getTime() > Date.now() + 1_000;
    const stage = await tx.changeStage.create({
      data: {
        id: newId("stg"),
        changeRequestId: cr.id,
        version: cr.currentVersion,
        kind: "APPLY",
        position,
        environmentId: next.environmentId,
        environmentName: next.environmentName,
        endpointId: next.endpointId,
        endpointName: next.endpointName,
        status: scheduled ? "SCHEDULED" : "QUEUED",
        scheduledAt: scheduled ? input.scheduledAt : null,
        queuedAt: new Date(),
        requestedById: actor.userId,
        requestedByEmail: actor.email,
        lockTimeoutMs: input.lockTimeoutMs,
        statementTimeoutMs: input.statementTimeoutMs,
        lockRetries: input.lockRetries,
        retryBackoffMs: input.retryBackoffMs,
      },
    });
    await tx.changeRequest.update({ where: { id: cr.id }, data: { status: "ROLLING_OUT" } });
    await audit({
      action: scheduled ? "change_stage.schedule" : "change_stage.queue",
      objectType: "change_request",
      objectId: cr.id,
      objectName: cr.title,
      after: { stageId: stage.id, environment: next.environmentName, endpoint: next.endpointName, version: cr.currentVersion, scheduledAt: stage.scheduledAt ?? undefined },
    });
    return { stage, delay: scheduled ? input.scheduledAt!.getTime() - Date.now() : 0 };
  });
  await enqueueSchemaJob(ctx.env, "run-stage", { stageId: stage.id }, { jobId: stageJobId(stage.id, 0), delay, attempts: 3, backoff: { type: "exponential", delay: 5_000 } });
  return { stageId: stage.id, status: stage.status };
}

/** A failed stage runs again; statements it already applied are skipped (dbmesh_schema_history). */
export async function retryStage(ctx: Context, stageId: string) {
  actorOf(ctx);
  const stage = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const s = await tx.changeStage.findUnique({ where: { id: stageId }, include: { changeRequest: true } });
    if (!s) throw notFound("stage", stageId);
    // A stage left RUNNING by a worker that died for good (BullMQ gave up on the stalled job) can be
    // retried too: the target's advisory lock and history keep a still-running attempt safe.
    const stuck = s.status === "RUNNING" && s.updatedAt.getTime() < Date.now() - STUCK_AFTER_MS;
    if (s.status !== "FAILED" && !stuck) {
      throw new AppError("PRECONDITION_FAILED", `only a failed stage (or one running without progress for ${STUCK_AFTER_MS / 60_000} minutes) can be retried; this one is ${s.status.toLowerCase()}`);
    }
    if (s.kind === "APPLY" && s.version !== s.changeRequest.currentVersion) throw new AppError("PRECONDITION_FAILED", "the change has a newer version: deploy that one");
    const updated = await tx.changeStage.update({ where: { id: s.id }, data: { status: "QUEUED", error: null, queuedAt: new Date(), finishedAt: null } });
    await tx.changeRequest.update({ where: { id: s.changeRequestId }, data: { status: "ROLLING_OUT" } });
    await audit({ action: "change_stage.retry", objectType: "change_request", objectId: s.changeRequestId, objectName: s.changeRequest.title, after: { stageId: s.id, endpoint: s.endpointName } });
    return updated;
  });
  await enqueueSchemaJob(ctx.env, "run-stage", { stageId }, { jobId: stageJobId(stageId, stage.attempts + 1), attempts: 3, backoff: { type: "exponential", delay: 5_000 } });
  return { stageId, status: stage.status };
}

/** Rolls the stored rollback SQL out to a target where the change succeeded, the same way. */
export async function rollbackStage(ctx: Context, input: { stageId: string }) {
  const actor = actorOf(ctx);
  const stage = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const s = await tx.changeStage.findUnique({ where: { id: input.stageId }, include: { changeRequest: true } });
    if (!s) throw notFound("stage", input.stageId);
    if (s.kind !== "APPLY" || s.status !== "SUCCEEDED") throw new AppError("PRECONDITION_FAILED", "only a stage that applied the change can be rolled back");
    const version = await tx.changeVersion.findUniqueOrThrow({ where: { changeRequestId_version: { changeRequestId: s.changeRequestId, version: s.version } } });
    if (!version.rollbackSql) throw new AppError("PRECONDITION_FAILED", `version ${s.version} has no rollback SQL`);
    const active = await tx.changeStage.findFirst({ where: { changeRequestId: s.changeRequestId, endpointId: s.endpointId, kind: "ROLLBACK", version: s.version } });
    if (active) throw new AppError("CONFLICT", `a rollback of this stage already exists (${active.status.toLowerCase()})`);
    const rollback = await tx.changeStage.create({
      data: {
        id: newId("stg"),
        changeRequestId: s.changeRequestId,
        version: s.version,
        kind: "ROLLBACK",
        position: s.position,
        environmentId: s.environmentId,
        environmentName: s.environmentName,
        endpointId: s.endpointId,
        endpointName: s.endpointName,
        status: "QUEUED",
        queuedAt: new Date(),
        requestedById: actor.userId,
        requestedByEmail: actor.email,
        lockTimeoutMs: s.lockTimeoutMs,
        statementTimeoutMs: s.statementTimeoutMs,
        lockRetries: s.lockRetries,
        retryBackoffMs: s.retryBackoffMs,
      },
    });
    await tx.changeRequest.update({ where: { id: s.changeRequestId }, data: { status: "ROLLING_OUT" } });
    await audit({ action: "change_stage.rollback", objectType: "change_request", objectId: s.changeRequestId, objectName: s.changeRequest.title, after: { stageId: rollback.id, of: s.id, endpoint: s.endpointName } });
    return rollback;
  });
  await enqueueSchemaJob(ctx.env, "run-stage", { stageId: stage.id }, { jobId: stageJobId(stage.id, 0), attempts: 3, backoff: { type: "exponential", delay: 5_000 } });
  return { stageId: stage.id, status: stage.status };
}

/** A scheduled stage that has not started can be cancelled; its delayed job then finds nothing to do. */
export async function cancelStage(ctx: Context, stageId: string) {
  actorOf(ctx);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const s = await tx.changeStage.findUnique({ where: { id: stageId }, include: { changeRequest: true } });
    if (!s) throw notFound("stage", stageId);
    if (s.status !== "SCHEDULED" && s.status !== "QUEUED") throw new AppError("PRECONDITION_FAILED", `a ${s.status.toLowerCase()} stage cannot be cancelled`);
    // Conditional update: the worker may have just picked it up.
    const { count } = await tx.changeStage.updateMany({ where: { id: stageId, status: s.status }, data: { status: "CANCELLED", finishedAt: new Date() } });
    if (count === 0) throw new AppError("CONFLICT", "the stage started meanwhile");
    const anySucceeded = await tx.changeStage.count({ where: { changeRequestId: s.changeRequestId, status: "SUCCEEDED" } });
    await tx.changeRequest.update({ where: { id: s.changeRequestId }, data: { status: anySucceeded ? "ROLLING_OUT" : "OPEN" } });
    await audit({ action: "change_stage.cancel", objectType: "change_request", objectId: s.changeRequestId, objectName: s.changeRequest.title, after: { stageId } });
    return { stageId, status: "CANCELLED" as const };
  });
}

