import type { Prisma } from "@dbmesh/db";
import type { LintReport } from "@dbmesh/sql";
import { z } from "zod";
import type { Context } from "../../context";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { mutate, notFound, type Tx } from "../mutation";
import type { StatementOutput } from "./apply-statements";
import { actorOf, loadFull } from "./change-common";
import type { DryRunResult } from "./dry-run";
import { enqueueSchemaJob } from "./enqueue";
import { environmentPolicies } from "./policy";
import { reviewState } from "./review";
import { deployState } from "./rollout";
import { sideBySide, unifiedSchemaDiff } from "./schema-diff";
import { resolveTargets } from "./targets";

// Change requests: create, new versions, checks reruns, close, and the reads the console shows.
// Review rules live in review.ts, rollout rules in rollout.ts.

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

export const ListChangeRequestsInput = z
  .object({
    q: z.string().trim().max(200).optional(),
    status: z.enum(["OPEN", "CHANGES_REQUESTED", "ROLLING_OUT", "DONE", "FAILED", "CLOSED"]).optional(),
    mine: z.boolean().optional(),
  })
  .default({});

// ---- helpers -----------------------------------------------------------------------------------

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
  // One snapshot: a worker fails a stage and its change request in one transaction, and a reader
  // between the separate queries below would otherwise see a FAILED stage of a change still ROLLING_OUT.
  const { cr, targets, policies, current, checks } = await ctx.db.$transaction(
    async (tx) => {
      const cr = await loadFull(tx, id);
      const targets = await resolveTargets(tx, cr);
      const policies = await environmentPolicies(tx);
      const current = cr.versions.find((v) => v.version === cr.currentVersion)!;
      const checks = await tx.changeCheck.findMany({ where: { versionId: current.id }, orderBy: { position: "asc" } });
      return { cr, targets, policies, current, checks };
    },
    { isolationLevel: "RepeatableRead" },
  );
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
