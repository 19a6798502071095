import type { Db } from "@dbmesh/db";
import type { Logger } from "pino";
import type { Actor } from "../../context";
import { decryptSecret, encryptSecret } from "../../crypto/secret-box";
import { generatePassword } from "../../crypto/password";
import { scramVerifier } from "../../crypto/scram";
import { newId } from "../../ids";
import { mutate } from "../mutation";
import { finalBackupHook } from "./backup-hook";
import { assertUnprivileged, ident, literal, withAdminClient, type AdminTarget } from "./backend-admin";
import { revealDeadline } from "./credential-lease";
import { enqueueProvisionJob, type QueueTarget } from "./enqueue";
import { newDatabaseNames, ownershipMarker } from "./names";
import { SELF_SERVICE_LABEL } from "./requests";

// The `provision` queue's work. Every step is recorded in provision_step before and after it runs and
// is idempotent on its own (it checks what exists, and proves ownership before touching anything), so
// a job killed anywhere is resumed by its retry; when the last attempt fails, everything the request
// made is removed again and the request is FAILED. Names are fixed at approval (requests.ts), so
// dbmesh always knows what a crash may have left behind.

export interface ProvisionDeps {
  db: Db;
  secretKey: string;
  log: Logger;
  queue: QueueTarget;
  /** Crash tests only: sleep after this step, so a test can SIGKILL the worker mid-job. */
  pauseAfterStep?: string | null;
}

const SYSTEM_ACTOR: Actor = {
  kind: "system",
  userId: "system:provision",
  email: "provision@dbmesh",
  name: "provisioning job",
  role: "ADMIN",
  mfaSatisfied: true,
};
const systemCtx = (db: Db) => ({ db, actor: SYSTEM_ACTOR, ip: null });

type StepOutcome = string | { skipped: string };

async function runStep(deps: ProvisionDeps, requestId: string, step: string, fn: () => Promise<StepOutcome>): Promise<void> {
  const { db } = deps;
  const existing = await db.provisionStep.findUnique({ where: { requestId_step: { requestId, step } } });
  if (existing && (existing.status === "DONE" || existing.status === "SKIPPED")) return;
  await db.provisionStep.upsert({
    where: { requestId_step: { requestId, step } },
    create: { requestId, step, status: "RUNNING", attempts: 1 },
    update: { status: "RUNNING", attempts: { increment: 1 }, detail: "", startedAt: new Date(), finishedAt: null },
  });
  let outcome: StepOutcome;
  try {
    outcome = await fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await db.provisionStep.update({ where: { requestId_step: { requestId, step } }, data: { status: "FAILED", detail: message, finishedAt: new Date() } });
    throw err;
  }
  const skipped = typeof outcome !== "string";
  const status = skipped ? "SKIPPED" : "DONE";
  const detail = typeof outcome === "string" ? outcome : outcome.skipped;
  // The step's record and its audit row commit together (details name objects, never secrets).
  await mutate(systemCtx(db), { mesh: false }, async (tx, audit) => {
    await tx.provisionStep.update({ where: { requestId_step: { requestId, step } }, data: { status, detail, finishedAt: new Date() } });
    await audit({ action: "databaseRequest.step", objectType: "database_request", objectId: requestId, objectName: step, after: { step, status, detail } });
  });
  deps.log.info({ requestId, step, skipped }, "provision step done");
  if (deps.pauseAfterStep === step) await new Promise((r) => setTimeout(r, 10 * 60_000));
}

async function event(db: Db, requestId: string, kind: string, comment = "") {
  await db.databaseRequestEvent.create({ data: { requestId, kind, actorEmail: SYSTEM_ACTOR.email, comment } });
}

async function loadForJob(db: Db, requestId: string) {
  return db.databaseRequest.findUnique({ where: { id: requestId }, include: { environment: true, requester: { select: { id: true, email: true } } } });
}
type JobRequest = NonNullable<Awaited<ReturnType<typeof loadForJob>>>;

async function placementOf(db: Db, endpointId: string | null): Promise<AdminTarget & { name: string; environmentId: string }> {
  if (!endpointId) throw new Error("the request has no placement endpoint");
  const ep = await db.databaseEndpoint.findUnique({ where: { id: endpointId } });
  if (!ep) throw new Error(`placement endpoint ${endpointId} no longer exists`);
  return ep;
}

function leaseEnd(req: JobRequest): Date {
  return new Date(Date.now() + req.environment.credentialLeaseTtlHours * 3600_000);
}

/** Runs (or resumes) an approved request. `finalAttempt`: on failure, clean up and mark it FAILED. */
export async function runDatabaseRequest(deps: ProvisionDeps, requestId: string, opts: { finalAttempt: boolean }): Promise<void> {
  const req = await loadForJob(deps.db, requestId);
  if (!req) return; // deleted: nothing to do
  if (req.status !== "APPROVED" && req.status !== "PROVISIONING") {
    deps.log.info({ requestId, status: req.status }, "request is not waiting for its job: nothing to do");
    return;
  }
  if (req.status === "APPROVED") {
    await deps.db.databaseRequest.update({ where: { id: requestId }, data: { status: "PROVISIONING", lastError: null } });
    await event(deps.db, requestId, "job_started");
  }
  try {
    if (req.kind === "NEW_DATABASE") await provisionNewDatabase(deps, req);
    else if (req.kind === "ACCESS") await issueAccess(deps, req);
    else await decommission(deps, req);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await deps.db.databaseRequest.update({ where: { id: requestId }, data: { lastError: message } });
    if (opts.finalAttempt) {
      await cleanUpFailed(deps, requestId).catch((cleanupErr: unknown) => deps.log.error({ err: cleanupErr, requestId }, "cleanup after a failed provisioning failed"));
      await deps.db.databaseRequest.update({ where: { id: requestId }, data: { status: "FAILED", lastError: message } });
      await event(deps.db, requestId, "failed", message);
    }
    throw err;
  }
}

async function provisionNewDatabase(deps: ProvisionDeps, req: JobRequest): Promise<void> {
  const { db, secretKey } = deps;
  const { backendDatabase, ownerRole, credentialName, ownerPasswordEnc } = req;
  if (!backendDatabase || !ownerRole || !credentialName || !ownerPasswordEnc) throw new Error(`request ${req.id} was approved without its names: retry it`);
  const placement = await placementOf(db, req.endpointId);
  const marker = ownershipMarker(req.id);
  const ownerPassword = decryptSecret(ownerPasswordEnc, secretKey);
  const schema = req.placement === "SCHEMA" ? req.backendSchema : null;
  if (req.placement === "SCHEMA" && !schema) throw new Error(`request ${req.id} was approved without its schema name: retry it`);

  await runStep(deps, req.id, "owner-role", () =>
    withAdminClient(placement, secretKey, null, async (c) => {
      const { rows } = await c.query<{ marker: string | null }>(
        "SELECT shobj_description(oid, 'pg_authid') AS marker FROM pg_roles WHERE rolname = $1",
        [ownerRole],
      );
      // Never SUPERUSER, CREATEROLE or CREATEDB; VALID UNTIL so that the server itself expires the role.
      const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD ${literal(c, ownerPassword)} VALID UNTIL ${literal(c, leaseEnd(req).toISOString())}`;
      if (rows[0]) {
        if (rows[0].marker !== marker) throw new Error(`role ${ownerRole} already exists on ${placement.name} and was not made by dbmesh for this request`);
        await c.query(`ALTER ROLE ${ident(c, ownerRole)} WITH ${attributes}`);
        await assertUnprivileged(c, ownerRole);
        return `role ${ownerRole} was already there (made by this request): password and lease reset`;
      }
      await c.query("BEGIN");
      await c.query(`CREATE ROLE ${ident(c, ownerRole)} WITH ${attributes}`);
      await c.query(`COMMENT ON ROLE ${ident(c, ownerRole)} IS ${literal(c, marker)}`);
      await c.query("COMMIT");
      await assertUnprivileged(c, ownerRole);
      return `created role ${ownerRole}`;
    }),
  );

  if (schema) await makeSchema(deps, req, placement, { backendDatabase, ownerRole, schema });
  else await makeDatabase(deps, req, placement, { backendDatabase, ownerRole });

  await runStep(deps, req.id, "register", async () => {
    const password = generatePassword();
    const names = newDatabaseNames(req.virtualDatabase);
    return mutate(systemCtx(db), { mesh: true }, async (tx, audit) => {
      const clash = await tx.credential.findUnique({ where: { name: credentialName } });
      if (clash?.description.includes(req.id)) return "already registered by an earlier attempt";
      if (clash) throw new Error(`a credential named ${credentialName} already exists and was not issued for this request`);
      if (await tx.virtualDatabase.findUnique({ where: { name: req.virtualDatabase } })) throw new Error(`a virtual database named ${req.virtualDatabase} was created meanwhile`);
      const endpointId = newId("ep");
      await tx.databaseEndpoint.create({
        data: {
          id: endpointId,
          name: names.endpointName,
          environmentId: req.environmentId,
          host: placement.host,
          port: placement.port,
          // SCHEMA: the shared database; the role's search_path there, and the virtual database's, is its schema.
          database: backendDatabase,
          username: ownerRole,
          passwordEnc: encryptSecret(ownerPassword, secretKey),
          role: "PRIMARY",
          labels: { [SELF_SERVICE_LABEL]: req.id },
        },
      });
      const vdbId = newId("vdb");
      await tx.virtualDatabase.create({
        data: {
          id: vdbId,
          name: req.virtualDatabase,
          description: `${req.purpose} (team ${req.team}; self-service ${req.id})`.slice(0, 500),
          environmentId: req.environmentId,
          // null: the default traffic strategy.
          trafficStrategyId: null,
          // A schema shares its database: the agent allows only that schema's tables, besides the grants.
          accessDefault: schema ? "deny" : "allow",
          // Sessions start in the schema: the agent sends this path to the backend at login and judges
          // unqualified names against it, so `CREATE TABLE t` is `<schema>.t` to both (the role's own
          // search_path says the same, for direct connections).
          searchPath: schema ? [schema] : [],
          backends: { create: [{ endpointId }] },
        },
      });
      await tx.accessRule.create({
        data: {
          id: newId("ar"),
          name: `${req.virtualDatabase.slice(0, 50)}-owner-app`,
          virtualDatabaseId: vdbId,
          credential: credentialName,
          operations: ["all"],
          tables: [schema ? `${schema}.*` : "*"],
          effect: "ALLOW",
          description: schema
            ? `the requester's application credential may do anything its backend role may in schema ${schema}`
            : "the requester's application credential may do anything its backend role may",
        },
      });
      const expiresAt = leaseEnd(req);
      const cred = await tx.credential.create({
        data: {
          id: newId("cred"),
          name: credentialName,
          description: `issued by self-service request ${req.id}`,
          scramVerifier: scramVerifier(password),
          ownerUserId: req.requesterId,
          expiresAt,
          grants: { create: [{ virtualDatabaseId: vdbId }] },
        },
      });
      await tx.databaseRequest.update({ where: { id: req.id }, data: { pendingPasswordEnc: encryptSecret(password, secretKey), pendingPasswordExpiresAt: revealDeadline() } });
      await audit({ action: "databaseRequest.register", objectType: "virtual_database", objectId: vdbId, objectName: req.virtualDatabase, after: { request: req.id, endpoint: names.endpointName, backendDatabase, schema } });
      await audit({ action: "credential.issue", objectType: "credential", objectId: cred.id, objectName: credentialName, after: { request: req.id, virtualDatabase: req.virtualDatabase, expiresAt } });
      return `registered virtual database ${req.virtualDatabase} (endpoint ${names.endpointName}) and issued credential ${credentialName}`;
    });
  });

  await runStep(deps, req.id, "lease", async () => {
    const cred = await db.credential.findUniqueOrThrow({ where: { name: credentialName } });
    if (!cred.expiresAt) return { skipped: "the credential has no lease" };
    const until = cred.expiresAt.toISOString();
    await withAdminClient(placement, secretKey, null, (c) => c.query(`ALTER ROLE ${ident(c, ownerRole)} VALID UNTIL ${literal(c, until)}`));
    return `role ${ownerRole} valid until ${until}, as the credential's lease`;
  });

  // The owner password now lives (encrypted) on the registered endpoint only: the request's copy goes in
  // the same transaction that marks it READY (a job never resumes a READY request, so it is not needed again).
  await finish(deps, req.id, "READY", `virtual database ${req.virtualDatabase} is ready`, { ownerPasswordEnc: null });
}

interface Made {
  backendDatabase: string;
  ownerRole: string;
}

/** DATABASE placement: a database of its own, owned by the role. */
async function makeDatabase(deps: ProvisionDeps, req: JobRequest, placement: AdminTarget & { name: string }, { backendDatabase, ownerRole }: Made) {
  const { secretKey } = deps;
  await runStep(deps, req.id, "database", () =>
    withAdminClient(placement, secretKey, null, async (c) => {
      const { rows } = await c.query<{ owner: string }>("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1", [backendDatabase]);
      if (rows[0]) {
        // Owned by our marked role: made by an earlier attempt of this request.
        if (rows[0].owner !== ownerRole) throw new Error(`database ${backendDatabase} already exists on ${placement.name} and is not owned by ${ownerRole}`);
        return `database ${backendDatabase} was already there (made by this request)`;
      }
      await c.query(`CREATE DATABASE ${ident(c, backendDatabase)} OWNER ${ident(c, ownerRole)}`);
      return `created database ${backendDatabase} on ${placement.name}`;
    }),
  );

  await runStep(deps, req.id, "baseline-grants", () =>
    withAdminClient(placement, secretKey, backendDatabase, async (c) => {
      const d = ident(c, backendDatabase);
      const r = ident(c, ownerRole);
      await c.query(`REVOKE ALL ON DATABASE ${d} FROM PUBLIC`);
      await c.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${d} TO ${r}`);
      await c.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
      await c.query(`ALTER SCHEMA public OWNER TO ${r}`);
      return "PUBLIC may not connect or create in public; the owner role owns schema public";
    }),
  );

  await runStep(deps, req.id, "extensions", async () => {
    if (req.extensions.length === 0) return { skipped: "no extensions requested" };
    return withAdminClient(placement, secretKey, backendDatabase, async (c) => {
      // Only from the allow-list (checked when the request was submitted): created by the admin.
      for (const ext of req.extensions) await c.query(`CREATE EXTENSION IF NOT EXISTS ${ident(c, ext)}`);
      return `created ${req.extensions.join(", ")}`;
    });
  });
}

/**
 * SCHEMA placement: a schema owned by the role in a shared database that dbmesh neither made nor ever drops.
 * The role may connect to that database and create only in its own schema (its search_path there).
 */
async function makeSchema(deps: ProvisionDeps, req: JobRequest, placement: AdminTarget & { name: string }, { backendDatabase, ownerRole, schema }: Made & { schema: string }) {
  const { secretKey } = deps;
  await runStep(deps, req.id, "schema", () =>
    withAdminClient(placement, secretKey, backendDatabase, async (c) => {
      const { rows } = await c.query<{ owner: string }>("SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1", [schema]);
      if (rows[0]) {
        if (rows[0].owner !== ownerRole) throw new Error(`schema ${schema} already exists in ${backendDatabase} on ${placement.name} and is not owned by ${ownerRole}`);
        return `schema ${schema} was already there (made by this request)`;
      }
      await c.query(`CREATE SCHEMA ${ident(c, schema)} AUTHORIZATION ${ident(c, ownerRole)}`);
      return `created schema ${schema} in shared database ${backendDatabase} on ${placement.name}`;
    }),
  );

  await runStep(deps, req.id, "schema-grants", () =>
    withAdminClient(placement, secretKey, backendDatabase, async (c) => {
      const d = ident(c, backendDatabase);
      const r = ident(c, ownerRole);
      // All idempotent: the shared database's own PUBLIC privileges are the DBA's, left as they are.
      await c.query(`GRANT CONNECT ON DATABASE ${d} TO ${r}`);
      await c.query(`REVOKE CREATE ON SCHEMA public FROM ${r}`);
      await c.query(`ALTER ROLE ${r} IN DATABASE ${d} SET search_path = ${ident(c, schema)}`);
      return `${ownerRole} may connect to ${backendDatabase}, not create in its public schema; its search_path there is ${schema}`;
    }),
  );

  await runStep(deps, req.id, "extensions", async () => {
    if (req.extensions.length === 0) return { skipped: "no extensions requested" };
    return withAdminClient(placement, secretKey, backendDatabase, async (c) => {
      // An extension already in the shared database (another schema) is left where it is.
      for (const ext of req.extensions) await c.query(`CREATE EXTENSION IF NOT EXISTS ${ident(c, ext)} SCHEMA ${ident(c, schema)}`);
      return `created ${req.extensions.join(", ")} (in schema ${schema} where not already in the database)`;
    });
  });
}

async function finish(
  deps: ProvisionDeps,
  requestId: string,
  status: "READY" | "DECOMMISSION_SCHEDULED" | "DECOMMISSIONED",
  message: string,
  extra: { ownerPasswordEnc?: null } = {},
) {
  await mutate(systemCtx(deps.db), { mesh: false }, async (tx, audit) => {
    const req = await tx.databaseRequest.update({ where: { id: requestId }, data: { status, lastError: null, ...extra } });
    await tx.databaseRequestEvent.create({ data: { requestId, kind: status.toLowerCase(), actorEmail: SYSTEM_ACTOR.email, comment: message } });
    await audit({ action: `databaseRequest.${status.toLowerCase()}`, objectType: "database_request", objectId: requestId, objectName: req.virtualDatabase });
  });
}

/** The access rules of an access credential: what it may do, then a deny for the rest. */
export function accessRulesFor(credential: string, mode: "READ_ONLY" | "READ_WRITE", tables: string[]) {
  const limited = tables.length > 0;
  const base = credential.slice(0, 50).replace(/_/g, "-");
  const rules: { name: string; operations: string[]; tables: string[]; effect: "ALLOW" | "DENY" }[] = [
    { name: `${base}-allow`, operations: mode === "READ_ONLY" ? ["select"] : ["all"], tables: limited ? tables : ["*"], effect: "ALLOW" },
  ];
  if (limited) rules.push({ name: `${base}-deny-rest`, operations: ["all"], tables: ["*"], effect: "DENY" as const });
  // Unlimited read-only: an equally specific DENY wins a tie, so it lists only the writing operations.
  else if (mode === "READ_ONLY") rules.push({ name: `${base}-deny-writes`, operations: ["insert", "update", "delete", "merge", "truncate", "copy", "ddl", "call"], tables: ["*"], effect: "DENY" as const });
  return rules;
}

async function issueAccess(deps: ProvisionDeps, req: JobRequest): Promise<void> {
  const { db, secretKey } = deps;
  const { credentialName, accessMode } = req;
  if (!credentialName || !accessMode) throw new Error(`request ${req.id} was approved without a credential name: retry it`);
  await runStep(deps, req.id, "issue-credential", async () => {
    const password = generatePassword();
    return mutate(systemCtx(db), { mesh: true }, async (tx, audit) => {
      const clash = await tx.credential.findUnique({ where: { name: credentialName } });
      if (clash?.description.includes(req.id)) return "already issued by an earlier attempt";
      if (clash) throw new Error(`a credential named ${credentialName} already exists and was not issued for this request`);
      const vdb = await tx.virtualDatabase.findUnique({ where: { name: req.virtualDatabase } });
      if (!vdb) throw new Error(`virtual database ${req.virtualDatabase} no longer exists`);
      for (const rule of accessRulesFor(credentialName, accessMode, req.tables)) {
        await tx.accessRule.create({ data: { id: newId("ar"), virtualDatabaseId: vdb.id, credential: credentialName, description: `self-service ${req.id}`, ...rule } });
      }
      const expiresAt = leaseEnd(req);
      const cred = await tx.credential.create({
        data: {
          id: newId("cred"),
          name: credentialName,
          description: `${req.accessMode === "READ_ONLY" ? "read-only" : "read-write"} access, self-service request ${req.id}`,
          scramVerifier: scramVerifier(password),
          ownerUserId: req.requesterId,
          expiresAt,
          grants: { create: [{ virtualDatabaseId: vdb.id }] },
        },
      });
      await tx.databaseRequest.update({ where: { id: req.id }, data: { pendingPasswordEnc: encryptSecret(password, secretKey), pendingPasswordExpiresAt: revealDeadline() } });
      await audit({ action: "credential.issue", objectType: "credential", objectId: cred.id, objectName: credentialName, after: { request: req.id, virtualDatabase: req.virtualDatabase, accessMode: req.accessMode, tables: req.tables, expiresAt } });
      return `issued credential ${credentialName} (${accessMode.toLowerCase().replace("_", "-")})`;
    });
  });
  await finish(deps, req.id, "READY", `credential ${credentialName} is ready`);
}

/** The NEW_DATABASE request that made a virtual database: where its database and role live. */
async function originOf(db: Db, vdbName: string) {
  return db.databaseRequest.findFirst({ where: { kind: "NEW_DATABASE", virtualDatabase: vdbName, status: { in: ["READY", "DECOMMISSION_SCHEDULED"] } }, orderBy: { createdAt: "desc" } });
}

async function decommission(deps: ProvisionDeps, req: JobRequest): Promise<void> {
  const { db } = deps;
  await runStep(deps, req.id, "resolve", async () => {
    const origin = await originOf(db, req.virtualDatabase);
    if (!origin?.backendDatabase || !origin.ownerRole) throw new Error(`"${req.virtualDatabase}" was not provisioned by self-service`);
    await db.databaseRequest.update({
      where: { id: req.id },
      data: { endpointId: origin.endpointId, backendDatabase: origin.backendDatabase, ownerRole: origin.ownerRole, placement: origin.placement, backendSchema: origin.backendSchema },
    });
    const what = origin.placement === "SCHEMA" ? `schema ${origin.backendSchema} in shared database ${origin.backendDatabase}` : `database ${origin.backendDatabase}`;
    return `${what} and role ${origin.ownerRole}, made by ${origin.id}`;
  });
  const resolved = await db.databaseRequest.findUniqueOrThrow({ where: { id: req.id } });

  await runStep(deps, req.id, "final-backup", async () => {
    const hook = finalBackupHook();
    if (hook === null) return { skipped: "no backup plan feature" };
    const result = await hook({
      requestId: req.id,
      virtualDatabase: req.virtualDatabase,
      endpointId: resolved.endpointId!,
      backendDatabase: resolved.backendDatabase!,
      // A schema in a shared database: only that schema is dumped.
      schema: resolved.placement === "SCHEMA" ? resolved.backendSchema : null,
    });
    return result.detail;
  });

  await runStep(deps, req.id, "revoke-credentials", () =>
    mutate(systemCtx(db), { mesh: true }, async (tx, audit) => {
      const creds = await tx.credential.findMany({ where: { revokedAt: null, grants: { some: { virtualDatabase: { name: req.virtualDatabase } } } } });
      for (const c of creds) {
        await tx.credential.update({ where: { id: c.id }, data: { revokedAt: new Date() } });
        await audit({ action: "credential.revoke", objectType: "credential", objectId: c.id, objectName: c.name, after: { reason: `decommission ${req.id}` } });
      }
      return creds.length === 0 ? "no credential to revoke" : `revoked ${creds.map((c) => c.name).join(", ")}`;
    }),
  );

  await runStep(deps, req.id, "schedule-drop", async () => {
    const dropAfter = new Date(Date.now() + req.environment.decommissionGraceHours * 3600_000);
    await db.databaseRequest.update({ where: { id: req.id }, data: { dropAfter } });
    await enqueueProvisionJob(deps.queue, "drop-decommissioned", { requestId: req.id }, { jobId: `drop-${req.id}`, delayMs: Math.max(0, dropAfter.getTime() - Date.now()) });
    return `database ${resolved.backendDatabase} is dropped after ${dropAfter.toISOString()}`;
  });
  await finish(deps, req.id, "DECOMMISSION_SCHEDULED", "credentials revoked; the database is dropped when the grace period ends");
}

/** The delayed half of a decommission; a DBA cutting the grace short enqueues it early. */
export async function dropDecommissioned(deps: ProvisionDeps, requestId: string): Promise<void> {
  const { db, secretKey } = deps;
  const req = await db.databaseRequest.findUnique({ where: { id: requestId } });
  if (!req || req.status !== "DECOMMISSION_SCHEDULED") return;
  if (req.dropAfter && req.dropAfter.getTime() > Date.now() + 1_000) {
    deps.log.info({ requestId, dropAfter: req.dropAfter }, "grace period not over: the delayed job drops it later");
    return;
  }
  const placement = await placementOf(db, req.endpointId);
  await removeFromMesh(deps, requestId, req.virtualDatabase);
  const schema = req.placement === "SCHEMA" ? req.backendSchema : null;
  if (schema) {
    // The shared database stays: only the schema, and what the role holds in that database, go.
    await runStep(deps, requestId, "drop-schema", () =>
      withAdminClient(placement, secretKey, req.backendDatabase, async (c) => {
        await c.query(`DROP SCHEMA IF EXISTS ${ident(c, schema)} CASCADE`);
        return `dropped schema ${schema} from shared database ${req.backendDatabase}`;
      }),
    );
  } else {
    await runStep(deps, requestId, "drop-database", () =>
      withAdminClient(placement, secretKey, null, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${ident(c, req.backendDatabase!)} WITH (FORCE)`);
        return `dropped database ${req.backendDatabase}`;
      }),
    );
  }
  await runStep(deps, requestId, "drop-role", () => dropOwnerRole(deps, placement, req.ownerRole!, schema ? req.backendDatabase : null));
  await db.databaseRequest.updateMany({ where: { kind: "NEW_DATABASE", virtualDatabase: req.virtualDatabase, status: "READY" }, data: { status: "DECOMMISSIONED" } });
  await finish(deps, requestId, "DECOMMISSIONED", schema ? `schema ${schema} dropped from ${req.backendDatabase}` : `database ${req.backendDatabase} dropped`);
}

/**
 * Drops an owner role. In a shared database it still holds CONNECT and a search_path setting (and owns
 * anything left there): DROP OWNED BY in that database removes those first, or DROP ROLE would refuse.
 */
async function dropOwnerRole(deps: ProvisionDeps, placement: AdminTarget, role: string, sharedDatabase: string | null): Promise<string> {
  const exists = await withAdminClient(placement, deps.secretKey, null, async (c) => (await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount === 1);
  if (!exists) return `role ${role} was already gone`;
  if (sharedDatabase) {
    await withAdminClient(placement, deps.secretKey, sharedDatabase, async (c) => {
      await c.query(`DROP OWNED BY ${ident(c, role)}`);
      await c.query(`ALTER ROLE ${ident(c, role)} IN DATABASE ${ident(c, sharedDatabase)} RESET ALL`);
    });
  }
  await withAdminClient(placement, deps.secretKey, null, (c) => c.query(`DROP ROLE IF EXISTS ${ident(c, role)}`));
  return `dropped role ${role}`;
}

async function removeFromMesh(deps: ProvisionDeps, requestId: string, vdbName: string) {
  await runStep(deps, requestId, "remove-from-mesh", () =>
    mutate(systemCtx(deps.db), { mesh: true }, async (tx, audit) => {
      const vdb = await tx.virtualDatabase.findUnique({ where: { name: vdbName }, include: { backends: true, credentialGrants: true } });
      if (!vdb) return "already removed";
      // Self-service credentials that only reached this virtual database go with it.
      const creds = await tx.credential.findMany({ where: { ownerUserId: { not: null }, grants: { some: { virtualDatabaseId: vdb.id } } }, include: { grants: true } });
      await tx.virtualDatabase.delete({ where: { id: vdb.id } });
      for (const c of creds) if (c.grants.length === 1) await tx.credential.delete({ where: { id: c.id } });
      await tx.accessRule.deleteMany({ where: { credential: { in: creds.map((c) => c.name) } } });
      const endpoints = await tx.databaseEndpoint.findMany({ where: { id: { in: vdb.backends.map((b) => b.endpointId) } } });
      const registered = endpoints.filter((e) => Object.hasOwn(e.labels as object, SELF_SERVICE_LABEL)).map((e) => e.id);
      await tx.databaseEndpoint.deleteMany({ where: { id: { in: registered } } });
      await audit({ action: "virtualDatabase.delete", objectType: "virtual_database", objectId: vdb.id, objectName: vdbName, after: { reason: `decommission ${requestId}` } });
      return `removed virtual database ${vdbName}, its endpoint and ${creds.length} credential(s)`;
    }),
  );
}

/** After the last failed attempt: remove whatever the request made, so nothing half-made is left. */
export async function cleanUpFailed(deps: ProvisionDeps, requestId: string): Promise<void> {
  const { db, secretKey } = deps;
  const req = await db.databaseRequest.findUnique({ where: { id: requestId } });
  if (!req || req.kind !== "NEW_DATABASE" || !req.backendDatabase || !req.ownerRole) return;
  await db.provisionStep.deleteMany({ where: { requestId, step: { in: ["cleanup-mesh", "cleanup-database", "cleanup-schema", "cleanup-role"] } } });
  await runStep(deps, requestId, "cleanup-mesh", () =>
    mutate(systemCtx(db), { mesh: true }, async (tx, audit) => {
      const vdb = await tx.virtualDatabase.findUnique({ where: { name: req.virtualDatabase }, include: { backends: { include: { endpoint: true } } } });
      const ours = vdb?.backends.some((b) => (b.endpoint.labels as Record<string, string>)[SELF_SERVICE_LABEL] === requestId);
      if (vdb && ours) {
        await tx.virtualDatabase.delete({ where: { id: vdb.id } });
        await tx.databaseEndpoint.deleteMany({ where: { id: { in: vdb.backends.map((b) => b.endpointId) } } });
      }
      // Access rules went with the virtual database (cascade); a credential only if this request issued it.
      if (req.credentialName) await tx.credential.deleteMany({ where: { name: req.credentialName, description: { contains: requestId } } });
      await tx.databaseRequest.update({ where: { id: requestId }, data: { pendingPasswordEnc: null } });
      await audit({ action: "databaseRequest.cleanup", objectType: "database_request", objectId: requestId, objectName: req.virtualDatabase });
      return ours ? "removed the registration" : "nothing registered";
    }),
  );
  const placement = await placementOf(db, req.endpointId);
  const schema = req.placement === "SCHEMA" ? req.backendSchema : null;
  if (schema) {
    // Never the shared database: only the schema this request made (owned by its role).
    await runStep(deps, requestId, "cleanup-schema", async () => {
      const found = await withAdminClient(placement, secretKey, req.backendDatabase, async (c) => {
        const { rows } = await c.query<{ owner: string }>("SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1", [schema]);
        if (!rows[0]) return "none";
        if (rows[0].owner !== req.ownerRole) return "not ours";
        await c.query(`DROP SCHEMA ${ident(c, schema)} CASCADE`);
        return "dropped";
      }).catch((err: unknown) => {
        // The shared database itself is missing (a DBA's typo): there is no schema to remove.
        if (err instanceof Error && /does not exist/.test(err.message)) return "none";
        throw err;
      });
      if (found === "none") return { skipped: "no schema was created" };
      if (found === "not ours") return { skipped: `schema ${schema} is not ours: left alone` };
      return `dropped schema ${schema} from shared database ${req.backendDatabase}`;
    });
  } else await runStep(deps, requestId, "cleanup-database", () =>
    withAdminClient(placement, secretKey, null, async (c) => {
      const { rows } = await c.query<{ owner: string }>("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1", [req.backendDatabase]);
      if (!rows[0]) return { skipped: "no database was created" };
      if (rows[0].owner !== req.ownerRole) return { skipped: `database ${req.backendDatabase} is not ours: left alone` };
      await c.query(`DROP DATABASE ${ident(c, req.backendDatabase!)} WITH (FORCE)`);
      return `dropped database ${req.backendDatabase}`;
    }),
  );
  await runStep(deps, requestId, "cleanup-role", () =>
    withAdminClient(placement, secretKey, null, async (c) => {
      const { rows } = await c.query<{ marker: string | null }>("SELECT shobj_description(oid, 'pg_authid') AS marker FROM pg_roles WHERE rolname = $1", [req.ownerRole]);
      if (!rows[0]) return { skipped: "no role was created" };
      if (rows[0].marker !== ownershipMarker(requestId)) return { skipped: `role ${req.ownerRole} is not ours: left alone` };
      if (schema) return dropOwnerRole(deps, placement, req.ownerRole!, req.backendDatabase).catch(async (err: unknown) => {
        // No shared database to hold its privileges: a plain DROP ROLE does.
        if (!(err instanceof Error && /does not exist/.test(err.message))) throw err;
        await c.query(`DROP ROLE ${ident(c, req.ownerRole!)}`);
        return `dropped role ${req.ownerRole}`;
      });
      await c.query(`DROP ROLE ${ident(c, req.ownerRole!)}`);
      return `dropped role ${req.ownerRole}`;
    }),
  );
}
