import type { Prisma } from "@dbmesh/db";
import type { LintReport } from "@dbmesh/sql";
import { z } from "zod";
import type { StatementOutput } from "./apply-statements";
import type { DryRunResult } from "./dry-run";
import type { Context } from "../../context";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { mutate, notFound, type Tx } from "../mutation";
import { enqueueSchemaJob } from "./enqueue";
import { environmentPolicies, type EnvironmentPolicy } from "./policy";
import { sideBySide, unifiedSchemaDiff } from "./schema-diff";
import { resolveTargets, type ChangeTarget } from "./targets";

// ---- inputs ------------------------------------------------------------------------------------

const Sql = z.string().max(1_000_000, "at most 1 MB of SQL");
const Title = z.string().trim().min(3, "at least 3 characters").max(200, "at most 200 characters");

export const ChangeTargetInput = z.discriminatedUnion("kind", [
  /** By id or name, so that a CI script can name it. */
  z.object({ kind: z.literal("virtualDatabase"), virtualDatabase: z.string().trim().min(1, "choose a virtual database") }),
  z.object({ kind: z.literal("endpoints"), endpoints: z.array(z.string().trim().min(1)).min(1, "choose at least one endpoint").max(50) }),
]);
export type ChangeTargetInput = z.infer<typeof ChangeTargetInput>;

export const CreateChangeRequestInput = z.object({
  title: Title,
  description: z.string().max(20_000).default(""),
  target: ChangeTargetInput,
  sql: Sql.refine((s) => s.trim().length > 0, "write at least one SQL statement"),
  rollbackSql: Sql.nullish(),
});
export type CreateChangeRequestInput = z.infer<typeof CreateChangeRequestInput>;

export const UpdateChangeSqlInput = z.object({
  id: z.string().min(1),
  title: Title.optional(),
  description: z.string().max(20_000).optional(),
  sql: Sql.refine((s) => s.trim().length > 0, "write at least one SQL statement"),
  rollbackSql: Sql.nullish(),
});

export const ReviewInput = z.object({
  id: z.string().min(1),
  /** The version the reviewer looked at: a review of an outdated version is refused. */
  version: z.number().int().min(1),
  body: z.string().trim().max(10_000).default(""),
});
export const ApproveInput = ReviewInput.extend({
  /** Required when the checks raised warnings: why they are acceptable. */
  acknowledgement: z.string().trim().max(2_000).optional(),
});

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

export const ListChangeRequestsInput = z
  .object({
    q: z.string().trim().max(200).optional(),
    status: z.enum(["OPEN", "CHANGES_REQUESTED", "ROLLING_OUT", "DONE", "FAILED", "CLOSED"]).optional(),
    mine: z.boolean().optional(),
  })
  .default({});

// ---- helpers -----------------------------------------------------------------------------------

function actorOf(ctx: Pick<Context, "actor">) {
  if (!ctx.actor) throw new AppError("UNAUTHORIZED", "sign in first");
  return ctx.actor;
}

async function resolveTargetInput(tx: Tx, target: ChangeTargetInput) {
  if (target.kind === "virtualDatabase") {
    const vdb = await tx.virtualDatabase.findFirst({ where: { OR: [{ id: target.virtualDatabase }, { name: target.virtualDatabase }] } });
    if (!vdb) throw new AppError("BAD_REQUEST", `virtual database "${target.virtualDatabase}" does not exist`, { field: "target" });
    const targets = await resolveTargets(tx, { virtualDatabaseId: vdb.id, endpointIds: [] });
    if (targets.length === 0) {
      throw new AppError("BAD_REQUEST", `virtual database "${vdb.name}" has no primary PostgreSQL endpoint to change`, { field: "target" });
    }
    return { virtualDatabaseId: vdb.id, virtualDatabaseName: vdb.name, endpointIds: [] as string[] };
  }
  const endpoints = await tx.databaseEndpoint.findMany({ where: { OR: [{ id: { in: target.endpoints } }, { name: { in: target.endpoints } }] } });
  const known = new Set(endpoints.flatMap((e) => [e.id, e.name]));
  const missing = target.endpoints.filter((e) => !known.has(e));
  if (missing.length) throw new AppError("BAD_REQUEST", `unknown endpoint(s): ${missing.join(", ")}`, { field: "target" });
  const notPg = endpoints.filter((e) => e.protocol !== "POSTGRESQL");
  if (notPg.length) throw new AppError("BAD_REQUEST", `only PostgreSQL endpoints can be changed: ${notPg.map((e) => e.name).join(", ")}`, { field: "target" });
  return { virtualDatabaseId: null, virtualDatabaseName: null, endpointIds: endpoints.map((e) => e.id) };
}

function checksJob(versionId: string) {
  return { jobId: `checks-${versionId}`, attempts: 3, backoff: { type: "exponential", delay: 5_000 } };
}

// ---- create and edit ---------------------------------------------------------------------------

export async function createChangeRequest(ctx: Context, input: CreateChangeRequestInput) {
  const actor = actorOf(ctx);
  const created = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const target = await resolveTargetInput(tx, input.target);
    const id = newId("cr");
    const versionId = newId("crv");
    await tx.changeRequest.create({
      data: {
        id,
        title: input.title,
        description: input.description,
        ...target,
        authorId: actor.userId,
        authorEmail: actor.email,
        versions: {
          create: { id: versionId, version: 1, sql: input.sql, rollbackSql: input.rollbackSql?.trim() ? input.rollbackSql : null, createdById: actor.userId, createdByEmail: actor.email },
        },
      },
    });
    await audit({
      action: "change_request.create",
      objectType: "change_request",
      objectId: id,
      objectName: input.title,
      after: { target: target.virtualDatabaseName ?? target.endpointIds, version: 1, statementsChars: input.sql.length },
    });
    return { id, versionId };
  });
  await enqueueSchemaJob(ctx.env, "run-checks", { versionId: created.versionId }, checksJob(created.versionId));
  return { id: created.id, version: 1 };
}

const EDITABLE = new Set(["OPEN", "CHANGES_REQUESTED", "FAILED"]);

/** A new version when the SQL or rollback SQL changed; approvals of the previous version no longer count. */
export async function updateChangeSql(ctx: Context, input: z.infer<typeof UpdateChangeSqlInput>) {
  const actor = actorOf(ctx);
  const result = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const cr = await tx.changeRequest.findUnique({ where: { id: input.id }, include: { versions: { orderBy: { version: "desc" }, take: 1 }, stages: { where: { status: "SUCCEEDED" }, take: 1 } } });
    if (!cr) throw notFound("change request", input.id);
    if (actor.role === "DEVELOPER" && cr.authorId !== actor.userId) throw new AppError("FORBIDDEN", "only the author, a DBA or an admin may edit this change request");
    if (!EDITABLE.has(cr.status)) throw new AppError("PRECONDITION_FAILED", `a change request that is ${cr.status.toLowerCase().replace("_", " ")} cannot be edited`);
    // Applied statements (even of a stage that later failed) belong to their version for good:
    // a new version would be a different change, and could run them again.
    const applied = await tx.schemaChangeHistory.findFirst({ where: { changeRequestId: cr.id, kind: "APPLY" }, select: { endpointName: true, version: true } });
    if (cr.stages.length > 0 || applied) {
      const where = applied ? ` (version ${applied.version} on ${applied.endpointName})` : "";
      throw new AppError("PRECONDITION_FAILED", `part of this change is already applied${where}: its SQL can no longer change; open a new change request for the next step`);
    }
    const latest = cr.versions[0]!;
    const rollbackSql = input.rollbackSql === undefined ? latest.rollbackSql : input.rollbackSql?.trim() ? input.rollbackSql : null;
    const sqlChanged = input.sql !== latest.sql || rollbackSql !== latest.rollbackSql;
    const meta = { title: input.title ?? cr.title, description: input.description ?? cr.description };
    let versionId: string | null = null;
    if (sqlChanged) {
      versionId = newId("crv");
      await tx.changeVersion.create({
        data: { id: versionId, changeRequestId: cr.id, version: latest.version + 1, sql: input.sql, rollbackSql, createdById: actor.userId, createdByEmail: actor.email },
      });
    }
    await tx.changeRequest.update({
      where: { id: cr.id },
      data: { ...meta, currentVersion: sqlChanged ? latest.version + 1 : latest.version, status: sqlChanged ? "OPEN" : cr.status },
    });
    await audit({
      action: sqlChanged ? "change_request.new_version" : "change_request.update",
      objectType: "change_request",
      objectId: cr.id,
      objectName: meta.title,
      before: { version: latest.version, title: cr.title },
      after: { version: sqlChanged ? latest.version + 1 : latest.version, title: meta.title },
    });
    return { versionId, version: sqlChanged ? latest.version + 1 : latest.version };
  });
  if (result.versionId) await enqueueSchemaJob(ctx.env, "run-checks", { versionId: result.versionId }, checksJob(result.versionId));
  return { id: input.id, version: result.version, newVersion: result.versionId !== null };
}

export async function rerunChecks(ctx: Context, id: string) {
  actorOf(ctx);
  const version = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const cr = await tx.changeRequest.findUnique({ where: { id } });
    if (!cr) throw notFound("change request", id);
    const v = await tx.changeVersion.findUniqueOrThrow({ where: { changeRequestId_version: { changeRequestId: id, version: cr.currentVersion } } });
    if (v.checksStatus === "RUNNING") throw new AppError("CONFLICT", "the checks of this version are running right now");
    await tx.changeVersion.update({ where: { id: v.id }, data: { checksStatus: "PENDING", checksError: null } });
    await audit({ action: "change_request.rerun_checks", objectType: "change_request", objectId: id, objectName: cr.title, after: { version: v.version } });
    return v;
  });
  await enqueueSchemaJob(ctx.env, "run-checks", { versionId: version.id }, { ...checksJob(version.id), jobId: `checks-${version.id}-${Date.now()}` });
  return { id, version: version.version };
}

export async function closeChangeRequest(ctx: Context, id: string) {
  const actor = actorOf(ctx);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const cr = await tx.changeRequest.findUnique({ where: { id }, include: { stages: { where: { status: { in: ["QUEUED", "RUNNING", "SCHEDULED"] } } } } });
    if (!cr) throw notFound("change request", id);
    if (actor.role === "DEVELOPER" && cr.authorId !== actor.userId) throw new AppError("FORBIDDEN", "only the author, a DBA or an admin may close this change request");
    if (cr.status === "CLOSED" || cr.status === "DONE") throw new AppError("PRECONDITION_FAILED", `the change request is already ${cr.status.toLowerCase()}`);
    if (cr.stages.length) throw new AppError("PRECONDITION_FAILED", "a stage is queued or running: wait for it (or cancel the scheduled one) first");
    await tx.changeRequest.update({ where: { id }, data: { status: "CLOSED" } });
    await audit({ action: "change_request.close", objectType: "change_request", objectId: id, objectName: cr.title, before: { status: cr.status }, after: { status: "CLOSED" } });
    return { id, status: "CLOSED" as const };
  });
}

// ---- review ------------------------------------------------------------------------------------

type FullChange = Prisma.ChangeRequestGetPayload<{ include: { versions: true; reviews: true; stages: true } }>;

async function loadFull(tx: Tx, id: string): Promise<FullChange> {
  const cr = await tx.changeRequest.findUnique({
    where: { id },
    include: { versions: { orderBy: { version: "asc" } }, reviews: { orderBy: { createdAt: "asc" } }, stages: { orderBy: [{ kind: "asc" }, { position: "asc" }, { createdAt: "asc" }] } },
  });
  if (!cr) throw notFound("change request", id);
  return cr;
}

export interface ReviewState {
  approvers: string[];
  /** Reviewers whose latest say on this version is "request changes". */
  changesRequestedBy: string[];
  /** Why approving is not possible right now (empty: it is). */
  approveBlockers: string[];
  warningsNeedAcknowledgement: boolean;
}

/** Who approved the current version, and who still asks for changes (their latest review counts). */
export function reviewState(cr: FullChange, actorUserId?: string): ReviewState {
  const version = cr.versions.find((v) => v.version === cr.currentVersion)!;
  const latestByUser = new Map<string, FullChange["reviews"][number]>();
  for (const r of cr.reviews) if (r.version === cr.currentVersion && r.kind !== "COMMENT") latestByUser.set(r.userId, r);
  const approvers = [...latestByUser.values()].filter((r) => r.kind === "APPROVE").map((r) => r.userEmail);
  const changesRequestedBy = [...latestByUser.values()].filter((r) => r.kind === "REQUEST_CHANGES").map((r) => r.userEmail);
  const blockers: string[] = [];
  if (cr.status === "CLOSED" || cr.status === "DONE") blockers.push(`the change request is ${cr.status.toLowerCase()}`);
  if (actorUserId && actorUserId === cr.authorId) blockers.push("authors never approve their own change");
  if (version.checksStatus === "PENDING" || version.checksStatus === "RUNNING") blockers.push("the checks have not finished yet");
  if (version.checksStatus === "FAILED") blockers.push(`the checks could not run: ${version.checksError ?? "see the worker log"}`);
  if (version.errorCount > 0) blockers.push(`${version.errorCount} check error(s) must be fixed first`);
  if (actorUserId && latestByUser.get(actorUserId)?.kind === "APPROVE") blockers.push("you already approved this version");
  return { approvers, changesRequestedBy, approveBlockers: blockers, warningsNeedAcknowledgement: version.warningCount > 0 };
}

async function addReview(ctx: Context, input: z.infer<typeof ApproveInput>, kind: "APPROVE" | "REQUEST_CHANGES" | "COMMENT") {
  const actor = actorOf(ctx);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const cr = await loadFull(tx, input.id);
    if (input.version !== cr.currentVersion) {
      throw new AppError("CONFLICT", `version ${input.version} is outdated: the change request is at version ${cr.currentVersion}; review that one`);
    }
    if (kind === "COMMENT" && !input.body) throw new AppError("BAD_REQUEST", "write a comment first", { field: "body" });
    if (kind === "REQUEST_CHANGES" && !input.body) throw new AppError("BAD_REQUEST", "say what should change", { field: "body" });
    if (kind === "REQUEST_CHANGES" && actor.userId === cr.authorId) throw new AppError("PRECONDITION_FAILED", "authors cannot request changes on their own change");
    const state = reviewState(cr, actor.userId);
    const version = cr.versions.find((v) => v.version === cr.currentVersion)!;
    if (kind === "APPROVE") {
      if (state.approveBlockers.length) throw new AppError("PRECONDITION_FAILED", `cannot approve: ${state.approveBlockers.join("; ")}`);
      if (state.warningsNeedAcknowledgement && !input.acknowledgement) {
        throw new AppError("BAD_REQUEST", `the checks raised ${version.warningCount} warning(s): acknowledge them with a reason to approve`, { field: "acknowledgement" });
      }
    }
    const review = await tx.changeReview.create({
      data: {
        id: newId("crr"),
        changeRequestId: cr.id,
        version: cr.currentVersion,
        userId: actor.userId,
        userEmail: actor.email,
        userRole: actor.role,
        kind,
        body: input.body,
        acknowledgement: kind === "APPROVE" ? (input.acknowledgement ?? null) : null,
      },
    });
    // The stored status mirrors the reviews so that lists can filter on it.
    const after = reviewState({ ...cr, reviews: [...cr.reviews, review] });
    const status = cr.status === "OPEN" || cr.status === "CHANGES_REQUESTED" ? (after.changesRequestedBy.length ? "CHANGES_REQUESTED" : "OPEN") : cr.status;
    if (status !== cr.status) await tx.changeRequest.update({ where: { id: cr.id }, data: { status } });
    else await tx.changeRequest.update({ where: { id: cr.id }, data: { updatedAt: new Date() } });
    await audit({
      action: `change_request.${kind.toLowerCase()}`,
      objectType: "change_request",
      objectId: cr.id,
      objectName: cr.title,
      after: { version: cr.currentVersion, body: input.body || undefined, acknowledgement: review.acknowledgement ?? undefined, status },
    });
    return { id: review.id, kind, status };
  });
}

export const approveChange = (ctx: Context, input: z.infer<typeof ApproveInput>) => addReview(ctx, input, "APPROVE");
export const requestChanges = (ctx: Context, input: z.infer<typeof ReviewInput>) => addReview(ctx, input, "REQUEST_CHANGES");
export const commentOnChange = (ctx: Context, input: z.infer<typeof ReviewInput>) => addReview(ctx, input, "COMMENT");

// ---- rollout -----------------------------------------------------------------------------------

export interface DeployState {
  /** The next APPLY stage to run, by target. */
  next: ChangeTarget | null;
  blockers: string[];
  approvalsRequired: number | null;
}

function deployState(cr: FullChange, targets: ChangeTarget[], policies: EnvironmentPolicy[]): DeployState {
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

// ---- reads -------------------------------------------------------------------------------------

export async function listChangeRequests(ctx: Context, input: z.infer<typeof ListChangeRequestsInput>) {
  const where: Prisma.ChangeRequestWhereInput = {};
  if (input.status) where.status = input.status;
  if (input.mine && ctx.actor) where.authorId = ctx.actor.userId;
  if (input.q) where.OR = [{ title: { contains: input.q, mode: "insensitive" } }, { id: input.q }, { virtualDatabaseName: { contains: input.q, mode: "insensitive" } }];
  const rows = await ctx.db.changeRequest.findMany({
    where,
    orderBy: { updatedAt: "desc" },
    take: 500,
    include: { versions: { orderBy: { version: "desc" }, take: 1 } },
  });
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    status: r.status,
    target: r.virtualDatabaseName ?? `${r.endpointIds.length} endpoint(s)`,
    authorEmail: r.authorEmail,
    version: r.currentVersion,
    checksStatus: r.versions[0]?.checksStatus ?? "PENDING",
    errorCount: r.versions[0]?.errorCount ?? 0,
    warningCount: r.versions[0]?.warningCount ?? 0,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }));
}

export async function getChangeRequest(ctx: Context, id: string) {
  const cr = await loadFull(ctx.db, id);
  const targets = await resolveTargets(ctx.db, cr);
  const policies = await environmentPolicies(ctx.db);
  const current = cr.versions.find((v) => v.version === cr.currentVersion)!;
  const checks = await ctx.db.changeCheck.findMany({ where: { versionId: current.id }, orderBy: { position: "asc" } });
  const review = reviewState(cr, ctx.actor?.userId);
  const deploy = deployState(cr, targets, policies);
  return {
    id: cr.id,
    title: cr.title,
    description: cr.description,
    status: cr.status,
    authorId: cr.authorId,
    authorEmail: cr.authorEmail,
    virtualDatabaseId: cr.virtualDatabaseId,
    virtualDatabaseName: cr.virtualDatabaseName,
    createdAt: cr.createdAt,
    updatedAt: cr.updatedAt,
    currentVersion: cr.currentVersion,
    versions: cr.versions.map((v) => ({ version: v.version, createdByEmail: v.createdByEmail, createdAt: v.createdAt, checksStatus: v.checksStatus, errorCount: v.errorCount, warningCount: v.warningCount })),
    sql: current.sql,
    rollbackSql: current.rollbackSql,
    checks: {
      status: current.checksStatus,
      error: current.checksError,
      startedAt: current.checksStartedAt,
      finishedAt: current.checksFinishedAt,
      errorCount: current.errorCount,
      warningCount: current.warningCount,
      targets: checks.map((c) => ({
        endpointId: c.endpointId,
        endpointName: c.endpointName,
        environmentName: c.environmentName,
        lint: c.lint as unknown as LintReport,
        dryRun: c.dryRun as unknown as Omit<DryRunResult, "schemaBefore" | "schemaAfter">,
        errorCount: c.errorCount,
        warningCount: c.warningCount,
        durationMs: c.durationMs,
        schemaDiff: c.schemaAfter ? sideBySide(c.schemaBefore, c.schemaAfter) : [],
        schemaChanged: c.schemaAfter !== "" && c.schemaAfter !== c.schemaBefore,
        unifiedDiff: c.schemaAfter ? unifiedSchemaDiff(c.schemaBefore, c.schemaAfter) : "",
      })),
    },
    targets: targets.map((t) => ({ ...t, approvalsRequired: policies.find((p) => p.environmentId === t.environmentId)?.approvalsRequired ?? 1 })),
    reviews: cr.reviews.map((r) => ({ id: r.id, version: r.version, userEmail: r.userEmail, userRole: r.userRole, kind: r.kind, body: r.body, acknowledgement: r.acknowledgement, createdAt: r.createdAt })),
    review,
    deploy: { next: deploy.next, blockers: deploy.blockers, approvalsRequired: deploy.approvalsRequired },
    stages: cr.stages.map((s) => ({
      id: s.id,
      version: s.version,
      kind: s.kind,
      position: s.position,
      environmentName: s.environmentName,
      endpointName: s.endpointName,
      status: s.status,
      scheduledAt: s.scheduledAt,
      queuedAt: s.queuedAt,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      requestedByEmail: s.requestedByEmail,
      attempts: s.attempts,
      error: s.error,
      output: s.output as unknown as StatementOutput[],
      lockTimeoutMs: s.lockTimeoutMs,
      statementTimeoutMs: s.statementTimeoutMs,
    })),
  };
}

/** A preview for the form: where a target would be rolled out, in order. */
export async function previewTargets(ctx: Context, target: ChangeTargetInput) {
  const resolved = await resolveTargetInput(ctx.db, target).catch((err) => {
    if (err instanceof AppError) return null;
    throw err;
  });
  if (!resolved) return [];
  return resolveTargets(ctx.db, resolved);
}
