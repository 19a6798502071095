import { ResourceName, TablePattern } from "@dbmesh/mesh";
import { z } from "zod";
import type { Actor, Context } from "../../context";
import { requireActor } from "../../actor";
import { encryptSecret } from "../../crypto/secret-box";
import { generatePassword } from "../../crypto/password";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { mutate, notFound, type Tx } from "../mutation";
import { revealExpired } from "./credential-lease";
import { enqueueProvisionJob } from "./enqueue";
import { accessCredentialName, ALLOWED_EXTENSIONS, newDatabaseNames, SIZE_CLASSES } from "./names";

// Self-service database requests: submit, review (approve / ask for changes / reject, with comments),
// resubmit, and the views of "My requests" and the DBA queue. The work itself runs in the `provision`
// queue (provision.ts); this module only decides and enqueues.

/** Endpoints dbmesh registered for a provisioned database carry this label (value: the request id). */
export const SELF_SERVICE_LABEL = "dbmesh-self-service";

const Purpose = z.string().trim().min(1, "say what the database is for").max(1000);
const Team = z.string().trim().min(1, "name the owning team or service").max(100);

export const NewDatabaseRequestInput = z.object({
  kind: z.literal("NEW_DATABASE"),
  virtualDatabase: ResourceName,
  environment: z.string().trim().min(1, "choose an environment"),
  purpose: Purpose,
  team: Team,
  sizeClass: z.enum(SIZE_CLASSES).default("small"),
  extensions: z.array(z.enum(ALLOWED_EXTENSIONS, { error: `extensions must be among: ${ALLOWED_EXTENSIONS.join(", ")}` })).max(12).default([]),
  /** DATABASE: a database of its own; SCHEMA: a schema in a shared database the DBA picks at approval. */
  placement: z.enum(["DATABASE", "SCHEMA"], { error: "choose its own database or a schema in a shared database" }).default("DATABASE"),
});

export const AccessRequestInput = z.object({
  kind: z.literal("ACCESS"),
  virtualDatabase: ResourceName,
  purpose: Purpose,
  team: Team,
  accessMode: z.enum(["READ_ONLY", "READ_WRITE"]),
  /** Empty: every table. */
  tables: z.array(TablePattern).max(50).default([]),
});

export const DecommissionRequestInput = z.object({
  kind: z.literal("DECOMMISSION"),
  virtualDatabase: ResourceName,
  purpose: Purpose,
});

export const DatabaseRequestInput = z.discriminatedUnion("kind", [NewDatabaseRequestInput, AccessRequestInput, DecommissionRequestInput]);
export type DatabaseRequestInput = z.input<typeof DatabaseRequestInput>;

export const ReviewInput = z.object({ id: z.string().min(1), comment: z.string().trim().max(2000).default("") });
/** A database name on the placement server (SCHEMA placement); plain identifiers only, quoted when used. */
const SharedDatabase = z
  .string()
  .trim()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z_][A-Za-z0-9_$-]*$/, "a database name is letters, digits, _, $ and -, starting with a letter or _");
export const ApproveInput = ReviewInput.extend({ endpointId: z.string().min(1).optional(), sharedDatabase: SharedDatabase.optional() });
export const RequiredCommentInput = z.object({ id: z.string().min(1), comment: z.string().trim().min(1, "write what should change and why").max(2000) });
export const ResubmitInput = z.object({
  id: z.string().min(1),
  purpose: Purpose.optional(),
  team: Team.optional(),
  sizeClass: z.enum(SIZE_CLASSES).optional(),
  extensions: z.array(z.enum(ALLOWED_EXTENSIONS)).max(12).optional(),
  placement: z.enum(["DATABASE", "SCHEMA"]).optional(),
  accessMode: z.enum(["READ_ONLY", "READ_WRITE"]).optional(),
  tables: z.array(TablePattern).max(50).optional(),
  comment: z.string().trim().max(2000).default(""),
});

/** What a resubmit may change, per kind of request. */
const COMMON_FIELDS: ReadonlySet<string> = new Set(["purpose", "team"]);
const NEW_DATABASE_FIELDS: ReadonlySet<string> = new Set([...COMMON_FIELDS, "sizeClass", "extensions", "placement"]);
const ACCESS_FIELDS: ReadonlySet<string> = new Set([...COMMON_FIELDS, "accessMode", "tables"]);

const REVIEWERS = new Set(["ADMIN", "DBA"]);
const READERS = new Set(["ADMIN", "DBA", "AUDITOR"]);

const include = {
  environment: { select: { name: true, requestApprovalsRequired: true } },
  requester: { select: { id: true, email: true } },
  approvals: { include: { user: { select: { email: true } } }, orderBy: { createdAt: "asc" } },
} as const;

type RequestRow = NonNullable<Awaited<ReturnType<typeof loadRequest>>>;

function loadRequest(tx: Tx, id: string) {
  return tx.databaseRequest.findUnique({ where: { id }, include });
}

async function requestOrThrow(tx: Tx, id: string): Promise<RequestRow> {
  const row = await loadRequest(tx, id);
  if (!row) throw notFound("database request", id);
  return row;
}

async function toView(tx: Tx, row: RequestRow) {
  const credential = row.credentialName
    ? await tx.credential.findUnique({
        where: { name: row.credentialName },
        select: { id: true, name: true, expiresAt: true, revokedAt: true, previousValidUntil: true },
      })
    : null;
  const endpoint = row.endpointId ? await tx.databaseEndpoint.findUnique({ where: { id: row.endpointId }, select: { id: true, name: true } }) : null;
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    virtualDatabase: row.virtualDatabase,
    environment: row.environment.name,
    purpose: row.purpose,
    team: row.team,
    sizeClass: row.sizeClass,
    extensions: row.extensions,
    accessMode: row.accessMode,
    tables: row.tables,
    placement: row.placement,
    /** Where it lives once approved: the database (the shared one, for a schema) and the schema. */
    backendDatabase: row.backendDatabase,
    backendSchema: row.backendSchema,
    requester: row.requester,
    endpoint,
    approvals: row.approvals.map((a) => ({ email: a.user.email, at: a.createdAt })),
    approvalsRequired: row.environment.requestApprovalsRequired,
    credential,
    /** The issued password waits, encrypted, for the requester to reveal it once (until passwordRevealUntil). */
    passwordPending: row.pendingPasswordEnc !== null && !revealExpired(row),
    passwordRevealUntil: row.pendingPasswordExpiresAt,
    /** Never revealed within its window: deleted (or about to be); rotating gives a new one. */
    passwordExpired: revealExpired(row),
    dropAfter: row.dropAfter,
    lastError: row.lastError,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
export type DatabaseRequestView = Awaited<ReturnType<typeof toView>>;

export const RequestListInput = z.object({
  status: z.array(z.enum(["PENDING", "CHANGES_REQUESTED", "REJECTED", "APPROVED", "PROVISIONING", "READY", "FAILED", "DECOMMISSION_SCHEDULED", "DECOMMISSIONED"])).optional(),
  search: z.string().trim().max(100).optional(),
});

export async function listRequests(ctx: Context, input: z.infer<typeof RequestListInput>, mineOnly: boolean): Promise<DatabaseRequestView[]> {
  const actor = requireActor(ctx);
  const rows = await ctx.db.databaseRequest.findMany({
    where: {
      ...(mineOnly ? { requesterId: actor.userId } : {}),
      ...(input.status?.length ? { status: { in: input.status } } : {}),
      ...(input.search ? { virtualDatabase: { contains: input.search, mode: "insensitive" as const } } : {}),
    },
    include,
    orderBy: { createdAt: "desc" },
    take: 500,
  });
  const out = [];
  for (const r of rows) out.push(await toView(ctx.db, r));
  return out;
}

export async function getRequest(ctx: Context, id: string) {
  const actor = requireActor(ctx);
  const row = await requestOrThrow(ctx.db, id);
  if (row.requesterId !== actor.userId && !READERS.has(actor.role)) throw notFound("database request", id);
  const [events, steps] = await Promise.all([
    ctx.db.databaseRequestEvent.findMany({ where: { requestId: id }, orderBy: { id: "asc" } }),
    ctx.db.provisionStep.findMany({ where: { requestId: id }, orderBy: { startedAt: "asc" } }),
  ]);
  return {
    ...(await toView(ctx.db, row)),
    events: events.map((e) => ({ id: String(e.id), kind: e.kind, actorEmail: e.actorEmail, comment: e.comment, at: e.createdAt })),
    steps: steps.map((s) => ({ step: s.step, status: s.status, detail: s.detail, attempts: s.attempts, startedAt: s.startedAt, finishedAt: s.finishedAt })),
  };
}

/** Primary PostgreSQL servers of an environment where a new database may be placed. */
export async function listPlacements(tx: Tx, environment: string) {
  const rows = await tx.databaseEndpoint.findMany({
    where: { environment: { name: environment }, role: "PRIMARY", protocol: "POSTGRESQL" },
    select: { id: true, name: true, host: true, port: true, database: true, labels: true },
    orderBy: { name: "asc" },
  });
  // Endpoints dbmesh registered for provisioned databases are not servers to place new ones on.
  return rows.filter((r) => !Object.hasOwn((r.labels ?? {}) as object, SELF_SERVICE_LABEL)).map(({ labels: _l, ...r }) => r);
}

async function addEvent(tx: Tx, requestId: string, kind: string, actor: Actor | null, comment = "") {
  await tx.databaseRequestEvent.create({ data: { requestId, kind, actorEmail: actor?.email ?? "dbmesh", comment } });
}

/** Names, owner password and placement fixed at approval, so every later step (and a cleanup) knows them. */
async function markApproved(ctx: Pick<Context, "env">, tx: Tx, row: RequestRow, endpointId: string | null) {
  const data: Record<string, unknown> = { status: "APPROVED", lastError: null };
  if (row.kind === "NEW_DATABASE") {
    const placement = endpointId ?? row.endpointId ?? (await listPlacements(tx, row.environment.name))[0]?.id;
    if (!placement) throw new AppError("PRECONDITION_FAILED", `environment ${row.environment.name} has no primary PostgreSQL endpoint to place the database on: register one first`);
    const names = newDatabaseNames(row.virtualDatabase);
    let backendDatabase = names.backendDatabase;
    if (row.placement === "SCHEMA") {
      // The DBA's pick (stored at approval), else the placement endpoint's own database: never created nor dropped here.
      backendDatabase = row.backendDatabase ?? (await tx.databaseEndpoint.findUniqueOrThrow({ where: { id: placement } })).database;
      data.backendSchema = names.backendDatabase;
    }
    Object.assign(data, {
      endpointId: placement,
      backendDatabase,
      ownerRole: names.ownerRole,
      credentialName: names.credentialName,
      ownerPasswordEnc: encryptSecret(generatePassword(), ctx.env.DBMESH_SECRET_KEY),
    });
  } else if (row.kind === "ACCESS") {
    data.credentialName = accessCredentialName(row.virtualDatabase, row.requester.email);
  }
  await tx.databaseRequest.update({ where: { id: row.id }, data });
}

async function enqueueRun(ctx: Context, requestId: string, round: string) {
  await enqueueProvisionJob(ctx.env, "run-database-request", { requestId }, { jobId: `run-${requestId}-${round}` });
}

export async function submitRequest(ctx: Context, raw: DatabaseRequestInput) {
  const input = DatabaseRequestInput.parse(raw);
  const actor = requireActor(ctx);
  const result = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    let environmentId: string;
    let requiredApprovals: number;
    const existing = await tx.virtualDatabase.findUnique({ where: { name: input.virtualDatabase }, include: { environment: true } });
    if (input.kind === "NEW_DATABASE") {
      const env = await tx.environment.findUnique({ where: { name: input.environment } });
      if (!env) throw new AppError("BAD_REQUEST", `environment "${input.environment}" does not exist`, { field: "environment" });
      if (existing) throw new AppError("CONFLICT", `a virtual database named "${input.virtualDatabase}" already exists: request access to it instead`, { field: "virtualDatabase" });
      const open = await tx.databaseRequest.findFirst({
        where: { kind: "NEW_DATABASE", virtualDatabase: input.virtualDatabase, status: { notIn: ["REJECTED", "FAILED", "DECOMMISSIONED"] } },
      });
      if (open) throw new AppError("CONFLICT", `request ${open.id} already asks for "${input.virtualDatabase}"`, { field: "virtualDatabase" });
      environmentId = env.id;
      requiredApprovals = env.requestApprovalsRequired;
    } else {
      if (!existing) throw new AppError("BAD_REQUEST", `virtual database "${input.virtualDatabase}" does not exist`, { field: "virtualDatabase" });
      if (input.kind === "DECOMMISSION") {
        const origin = await tx.databaseRequest.findFirst({ where: { kind: "NEW_DATABASE", virtualDatabase: input.virtualDatabase, status: "READY" } });
        if (!origin) {
          throw new AppError("BAD_REQUEST", `"${input.virtualDatabase}" was not provisioned by self-service: ask a DBA to retire it`, { field: "virtualDatabase" });
        }
        // In an auto-approving environment a request is as good as done: only its owner or a DBA may ask.
        if (origin.requesterId !== actor.userId && !REVIEWERS.has(actor.role)) {
          throw new AppError("FORBIDDEN", `only the developer who requested "${input.virtualDatabase}" or a DBA can decommission it`, { field: "virtualDatabase" });
        }
      }
      environmentId = existing.environmentId;
      requiredApprovals = existing.environment.requestApprovalsRequired;
    }
    const id = newId("dbr");
    await tx.databaseRequest.create({
      data: {
        id,
        kind: input.kind,
        virtualDatabase: input.virtualDatabase,
        environmentId,
        purpose: input.purpose,
        team: "team" in input ? input.team : "",
        sizeClass: input.kind === "NEW_DATABASE" ? input.sizeClass : "small",
        extensions: input.kind === "NEW_DATABASE" ? input.extensions : [],
        placement: input.kind === "NEW_DATABASE" ? input.placement : "DATABASE",
        accessMode: input.kind === "ACCESS" ? input.accessMode : null,
        tables: input.kind === "ACCESS" ? input.tables : [],
        requesterId: actor.userId,
      },
    });
    await addEvent(tx, id, "submitted", actor);
    await audit({ action: "databaseRequest.submit", objectType: "database_request", objectId: id, objectName: input.virtualDatabase, after: input });
    let autoApproved = false;
    if (requiredApprovals === 0) {
      await markApproved(ctx, tx, await requestOrThrow(tx, id), null);
      await addEvent(tx, id, "approved", null, "approved automatically: this environment's policy needs no DBA approval");
      await audit({ action: "databaseRequest.autoApprove", objectType: "database_request", objectId: id, objectName: input.virtualDatabase });
      autoApproved = true;
    }
    return { id, autoApproved };
  });
  if (result.autoApproved) await enqueueRun(ctx, result.id, "1");
  return { id: result.id, status: result.autoApproved ? ("APPROVED" as const) : ("PENDING" as const) };
}

function assertReviewer(actor: Actor, row: RequestRow) {
  if (!REVIEWERS.has(actor.role)) throw new AppError("FORBIDDEN", "only a DBA or an admin can review database requests");
  if (row.requesterId === actor.userId) throw new AppError("FORBIDDEN", "you cannot review your own request: another DBA must");
  if (row.status !== "PENDING") throw new AppError("PRECONDITION_FAILED", `request ${row.id} is ${row.status.toLowerCase().replace(/_/g, " ")}, not waiting for review`);
}

export async function approveRequest(ctx: Context, input: z.infer<typeof ApproveInput>) {
  const actor = requireActor(ctx);
  const outcome = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const row = await requestOrThrow(tx, input.id);
    assertReviewer(actor, row);
    if (row.approvals.some((a) => a.userId === actor.userId)) throw new AppError("CONFLICT", "you have already approved this request: it needs another DBA");
    if (input.endpointId !== undefined) {
      if (row.kind !== "NEW_DATABASE") throw new AppError("BAD_REQUEST", "only a new database needs a placement", { field: "endpointId" });
      const ok = (await listPlacements(tx, row.environment.name)).some((p) => p.id === input.endpointId);
      if (!ok) throw new AppError("BAD_REQUEST", `endpoint ${input.endpointId} is not a primary PostgreSQL server in ${row.environment.name}`, { field: "endpointId" });
      await tx.databaseRequest.update({ where: { id: row.id }, data: { endpointId: input.endpointId } });
    }
    if (input.sharedDatabase !== undefined) {
      if (row.kind !== "NEW_DATABASE" || row.placement !== "SCHEMA") throw new AppError("BAD_REQUEST", "only a schema in a shared database needs a shared database", { field: "sharedDatabase" });
      // Kept on the request; markApproved keeps it (the provisioning job checks it exists on the server).
      await tx.databaseRequest.update({ where: { id: row.id }, data: { backendDatabase: input.sharedDatabase } });
    }
    await tx.databaseRequestApproval.create({ data: { requestId: row.id, userId: actor.userId } });
    await addEvent(tx, row.id, "approved", actor, input.comment);
    const count = row.approvals.length + 1;
    const required = Math.max(1, row.environment.requestApprovalsRequired);
    const complete = count >= required;
    if (complete) await markApproved(ctx, tx, await requestOrThrow(tx, row.id), input.endpointId ?? null);
    await audit({
      action: "databaseRequest.approve",
      objectType: "database_request",
      objectId: row.id,
      objectName: row.virtualDatabase,
      after: { approvals: count, required, endpointId: input.endpointId ?? row.endpointId, sharedDatabase: input.sharedDatabase, comment: input.comment },
    });
    return { complete, count, required };
  });
  if (outcome.complete) await enqueueRun(ctx, input.id, "1");
  return { id: input.id, status: outcome.complete ? ("APPROVED" as const) : ("PENDING" as const), approvals: outcome.count, approvalsRequired: outcome.required };
}

export async function requestChanges(ctx: Context, input: z.infer<typeof RequiredCommentInput>) {
  const actor = requireActor(ctx);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const row = await requestOrThrow(tx, input.id);
    assertReviewer(actor, row);
    await tx.databaseRequest.update({ where: { id: row.id }, data: { status: "CHANGES_REQUESTED" } });
    await tx.databaseRequestApproval.deleteMany({ where: { requestId: row.id } });
    await addEvent(tx, row.id, "changes_requested", actor, input.comment);
    await audit({ action: "databaseRequest.requestChanges", objectType: "database_request", objectId: row.id, objectName: row.virtualDatabase, after: { comment: input.comment } });
    return { id: row.id, status: "CHANGES_REQUESTED" as const };
  });
}

export async function rejectRequest(ctx: Context, input: z.infer<typeof RequiredCommentInput>) {
  const actor = requireActor(ctx);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const row = await requestOrThrow(tx, input.id);
    assertReviewer(actor, row);
    await tx.databaseRequest.update({ where: { id: row.id }, data: { status: "REJECTED" } });
    await addEvent(tx, row.id, "rejected", actor, input.comment);
    await audit({ action: "databaseRequest.reject", objectType: "database_request", objectId: row.id, objectName: row.virtualDatabase, after: { comment: input.comment } });
    return { id: row.id, status: "REJECTED" as const };
  });
}

export async function resubmitRequest(ctx: Context, input: z.infer<typeof ResubmitInput>) {
  const actor = requireActor(ctx);
  const result = await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const row = await requestOrThrow(tx, input.id);
    if (row.requesterId !== actor.userId) throw new AppError("FORBIDDEN", "only the requester can change and resubmit a request");
    if (row.status !== "CHANGES_REQUESTED") throw new AppError("PRECONDITION_FAILED", `request ${row.id} is ${row.status.toLowerCase().replace(/_/g, " ")}: only a request sent back for changes can be resubmitted`);
    const { id: _id, comment, ...changes } = input;
    const data: Record<string, unknown> = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    // Only what the kind of request has: a placement on an access request would be kept and mean nothing.
    const applicable = row.kind === "NEW_DATABASE" ? NEW_DATABASE_FIELDS : row.kind === "ACCESS" ? ACCESS_FIELDS : COMMON_FIELDS;
    for (const field of Object.keys(data)) {
      if (!applicable.has(field)) throw new AppError("BAD_REQUEST", `a ${row.kind.toLowerCase().replace(/_/g, " ")} request has no ${field}`, { field });
    }
    // A DBA's earlier pick of a shared database was for a schema: placed as a database of its own, it goes.
    if (data.placement === "DATABASE" && row.placement === "SCHEMA") data.backendDatabase = null;
    await tx.databaseRequest.update({ where: { id: row.id }, data: { ...data, status: "PENDING" } });
    await addEvent(tx, row.id, "resubmitted", actor, comment);
    await audit({ action: "databaseRequest.resubmit", objectType: "database_request", objectId: row.id, objectName: row.virtualDatabase, after: data });
    let autoApproved = false;
    if (row.environment.requestApprovalsRequired === 0) {
      await markApproved(ctx, tx, await requestOrThrow(tx, row.id), null);
      await addEvent(tx, row.id, "approved", null, "approved automatically: this environment's policy needs no DBA approval");
      autoApproved = true;
    }
    return { autoApproved };
  });
  if (result.autoApproved) await enqueueRun(ctx, input.id, "1");
  return { id: input.id };
}

export async function commentOnRequest(ctx: Context, input: z.infer<typeof RequiredCommentInput>) {
  const actor = requireActor(ctx);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const row = await requestOrThrow(tx, input.id);
    if (row.requesterId !== actor.userId && !REVIEWERS.has(actor.role)) throw notFound("database request", input.id);
    await addEvent(tx, row.id, "comment", actor, input.comment);
    await audit({ action: "databaseRequest.comment", objectType: "database_request", objectId: row.id, objectName: row.virtualDatabase, after: { comment: input.comment } });
    return { id: row.id };
  });
}

/** A DBA re-queues an approved request whose job failed or was never queued (Redis was down). */
export async function retryRequest(ctx: Context, input: { id: string }) {
  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const row = await requestOrThrow(tx, input.id);
    if (!["APPROVED", "PROVISIONING", "FAILED"].includes(row.status)) {
      throw new AppError("PRECONDITION_FAILED", `request ${row.id} is ${row.status.toLowerCase()}: only an approved or failed request can be retried`);
    }
    if (row.status === "FAILED") await markApproved(ctx, tx, row, row.endpointId);
    await addEvent(tx, row.id, "retried", ctx.actor);
    await audit({ action: "databaseRequest.retry", objectType: "database_request", objectId: row.id, objectName: row.virtualDatabase });
  });
  await enqueueRun(ctx, input.id, String(Date.now()));
  return { id: input.id };
}

/** A DBA cuts a decommission's grace period short: the database is dropped now. */
export async function dropNow(ctx: Context, input: z.infer<typeof RequiredCommentInput>) {
  const actor = requireActor(ctx);
  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const row = await requestOrThrow(tx, input.id);
    if (!REVIEWERS.has(actor.role)) throw new AppError("FORBIDDEN", "only a DBA or an admin can cut a grace period short");
    if (row.status !== "DECOMMISSION_SCHEDULED") throw new AppError("PRECONDITION_FAILED", `request ${row.id} has no drop scheduled`);
    await tx.databaseRequest.update({ where: { id: row.id }, data: { dropAfter: new Date() } });
    await addEvent(tx, row.id, "grace_cut_short", actor, input.comment);
    await audit({ action: "databaseRequest.dropNow", objectType: "database_request", objectId: row.id, objectName: row.virtualDatabase, after: { comment: input.comment } });
  });
  await enqueueProvisionJob(ctx.env, "drop-decommissioned", { requestId: input.id }, { jobId: `drop-${input.id}-now-${Date.now()}` });
  return { id: input.id };
}
