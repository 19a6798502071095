import type { Db } from "@dbmesh/db";
import { z } from "zod";
import type { Actor, Context } from "../../context";
import { requireActor } from "../../actor";
import { decryptSecret } from "../../crypto/secret-box";
import { generatePassword } from "../../crypto/password";
import { scramVerifier } from "../../crypto/scram";
import { AppError } from "../../errors";
import { mutate, notFound, type Tx } from "../mutation";
import { ident, literal, withAdminClient } from "./backend-admin";

// Leases, rotation with a grace period, revocation, and the one-time reveal of an issued password. The
// owner of a credential (the developer it was issued to) and DBAs may do these; passwords are returned
// once and never written to the audit log.

export const CredentialIdInput = z.object({ id: z.string().min(1) });

const MANAGERS = new Set(["ADMIN", "DBA"]);

async function ownedCredential(ctx: Context, tx: Tx, id: string) {
  const actor = requireActor(ctx);
  const cred = await tx.credential.findUnique({ where: { id }, include: { grants: { include: { virtualDatabase: { include: { environment: true } } } } } });
  // Someone else's credential is "not found", so ids cannot be probed.
  if (!cred || (cred.ownerUserId !== actor.userId && !MANAGERS.has(actor.role))) throw notFound("credential", id);
  return cred;
}

/** The environment whose policy governs a credential: that of the virtual database it reaches. */
function policyOf(cred: Awaited<ReturnType<typeof ownedCredential>>) {
  const env = cred.grants[0]?.virtualDatabase.environment;
  if (!env) throw new AppError("PRECONDITION_FAILED", `credential ${cred.name} reaches no virtual database`);
  return env;
}

export async function listMyCredentials(ctx: Context) {
  const actor = requireActor(ctx);
  const rows = await ctx.db.credential.findMany({
    where: { ownerUserId: actor.userId },
    include: { grants: { include: { virtualDatabase: { select: { name: true } } } } },
    orderBy: { name: "asc" },
  });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    virtualDatabases: r.grants.map((g) => g.virtualDatabase.name),
    expiresAt: r.expiresAt,
    revokedAt: r.revokedAt,
    previousValidUntil: r.previousValidUntil,
    createdAt: r.createdAt,
  }));
}

export async function renewLease(ctx: Context, input: { id: string }) {
  const cred = await ownedCredential(ctx, ctx.db, input.id);
  if (cred.revokedAt) throw new AppError("PRECONDITION_FAILED", `credential ${cred.name} was revoked: request access again`);
  const env = policyOf(cred);
  const expiresAt = new Date(Date.now() + env.credentialLeaseTtlHours * 3600_000);
  // The owner role of a provisioned database carries the same VALID UNTIL: extend it first, so the
  // server never expires the role while dbmesh still says the lease runs.
  const origin = await ctx.db.databaseRequest.findFirst({ where: { kind: "NEW_DATABASE", credentialName: cred.name, status: "READY" } });
  if (origin?.ownerRole && origin.endpointId) {
    const placement = await ctx.db.databaseEndpoint.findUnique({ where: { id: origin.endpointId } });
    if (placement) {
      await withAdminClient(placement, ctx.env.DBMESH_SECRET_KEY, null, (c) =>
        c.query(`ALTER ROLE ${ident(c, origin.ownerRole!)} VALID UNTIL ${literal(c, expiresAt.toISOString())}`),
      );
    }
  }
  return mutate(ctx, { mesh: true }, async (tx, audit) => {
    await tx.credential.update({ where: { id: cred.id }, data: { expiresAt } });
    await audit({ action: "credential.renew", objectType: "credential", objectId: cred.id, objectName: cred.name, before: { expiresAt: cred.expiresAt }, after: { expiresAt } });
    return { id: cred.id, expiresAt };
  });
}

/**
 * A new password, shown once. The new verifier reuses the current salt and iteration count: the agent
 * sends those before it knows which password a client holds, so during the grace period it can check a
 * proof against both StoredKeys.
 */
export async function rotateLeasedCredential(ctx: Context, input: { id: string }) {
  const password = generatePassword();
  return mutate(ctx, { mesh: true }, async (tx, audit) => {
    const cred = await ownedCredential(ctx, tx, input.id);
    if (cred.revokedAt) throw new AppError("PRECONDITION_FAILED", `credential ${cred.name} was revoked: it cannot be rotated`);
    const env = policyOf(cred);
    const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(cred.scramVerifier);
    if (!m) throw new AppError("PRECONDITION_FAILED", `credential ${cred.name} has no usable verifier`);
    const verifier = scramVerifier(password, Number(m[1]), Buffer.from(m[2]!, "base64"));
    const previousValidUntil = new Date(Date.now() + env.credentialRotationGraceSeconds * 1000);
    await tx.credential.update({
      where: { id: cred.id },
      data: { scramVerifier: verifier, previousScramVerifier: cred.scramVerifier, previousValidUntil },
    });
    // A password still waiting to be revealed (or expired) is the old one now: it goes, with its deadline.
    await tx.databaseRequest.updateMany({
      where: { credentialName: cred.name, OR: [{ pendingPasswordEnc: { not: null } }, { pendingPasswordExpiresAt: { not: null } }] },
      data: { pendingPasswordEnc: null, pendingPasswordExpiresAt: null },
    });
    await audit({ action: "credential.rotate", objectType: "credential", objectId: cred.id, objectName: cred.name, after: { previousValidUntil } });
    return { id: cred.id, name: cred.name, password, previousValidUntil };
  });
}

/** Refused at once for new connections; the agents close open sessions when they get the revision. */
export async function revokeLeasedCredential(ctx: Context, input: { id: string }) {
  return mutate(ctx, { mesh: true }, async (tx, audit) => {
    const cred = await ownedCredential(ctx, tx, input.id);
    if (cred.revokedAt) return { id: cred.id, revokedAt: cred.revokedAt };
    const revokedAt = new Date();
    await tx.credential.update({ where: { id: cred.id }, data: { revokedAt, previousScramVerifier: null, previousValidUntil: null } });
    await audit({ action: "credential.revoke", objectType: "credential", objectId: cred.id, objectName: cred.name });
    return { id: cred.id, revokedAt };
  });
}

/**
 * How long an issued password waits, encrypted on its request, for its one reveal: a fixed 7 days (long enough
 * for a weekend or a holiday, short enough that a forgotten password does not sit in dbmesh for the credential's
 * life). Afterwards the maintenance job (`purge-unrevealed-passwords`) deletes it; rotating gives a new one.
 */
export const PASSWORD_REVEAL_WINDOW_HOURS = 7 * 24;

export function revealDeadline(from = new Date()): Date {
  return new Date(from.getTime() + PASSWORD_REVEAL_WINDOW_HOURS * 3600_000);
}

/** Whether the reveal window of a request's issued password is over (purged or not yet). */
export function revealExpired(req: { pendingPasswordExpiresAt: Date | null }, now = new Date()): boolean {
  return req.pendingPasswordExpiresAt !== null && req.pendingPasswordExpiresAt <= now;
}

/** The issued password, once: it is deleted as it is returned. */
export async function revealIssuedPassword(ctx: Context, input: { id: string }) {
  const actor = requireActor(ctx);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const req = await tx.databaseRequest.findUnique({ where: { id: input.id } });
    if (!req || req.requesterId !== actor.userId) throw notFound("database request", input.id);
    // Checked before the password itself: an expired one is refused even before the purge has run.
    if (revealExpired(req)) {
      throw new AppError("PRECONDITION_FAILED", `the password was never revealed and expired ${req.pendingPasswordExpiresAt!.toISOString()}: rotate the credential for a new one`);
    }
    if (!req.pendingPasswordEnc || !req.credentialName) {
      throw new AppError("PRECONDITION_FAILED", "the password was already shown once (or is not issued yet): rotate the credential for a new one");
    }
    const password = decryptSecret(req.pendingPasswordEnc, ctx.env.DBMESH_SECRET_KEY);
    await tx.databaseRequest.update({ where: { id: req.id }, data: { pendingPasswordEnc: null, pendingPasswordExpiresAt: null } });
    const cred = await tx.credential.findUnique({ where: { name: req.credentialName } });
    await audit({ action: "credential.reveal", objectType: "credential", objectId: cred?.id ?? null, objectName: req.credentialName, after: { request: req.id } });
    return { credential: req.credentialName, credentialId: cred?.id ?? null, virtualDatabase: req.virtualDatabase, password };
  });
}

const MAINTENANCE_ACTOR: Actor = {
  kind: "system",
  userId: "system:maintenance",
  email: "worker@dbmesh",
  name: "maintenance job",
  role: "ADMIN",
  mfaSatisfied: true,
};

/**
 * Deletes issued passwords whose reveal window is over (the maintenance queue runs this hourly). One transaction
 * per password, each with its audit event; the deadline stays on the request so the console can say "expired".
 * Idempotent: a second run finds nothing.
 */
export async function purgeUnrevealedPasswords(db: Db, now = new Date()): Promise<{ purged: number }> {
  const due = await db.databaseRequest.findMany({
    where: { pendingPasswordEnc: { not: null }, pendingPasswordExpiresAt: { lte: now } },
    select: { id: true },
  });
  let purged = 0;
  for (const { id } of due) {
    const done = await mutate({ db, actor: MAINTENANCE_ACTOR, ip: null }, { mesh: false }, async (tx, audit) => {
      // Re-read inside the transaction: the developer may have revealed it meanwhile.
      const { count } = await tx.databaseRequest.updateMany({
        where: { id, pendingPasswordEnc: { not: null }, pendingPasswordExpiresAt: { lte: now } },
        data: { pendingPasswordEnc: null },
      });
      if (count === 0) return false;
      const req = await tx.databaseRequest.findUniqueOrThrow({ where: { id }, select: { credentialName: true, virtualDatabase: true, pendingPasswordExpiresAt: true } });
      const cred = req.credentialName ? await tx.credential.findUnique({ where: { name: req.credentialName }, select: { id: true } }) : null;
      await audit({
        action: "credential.reveal_expired",
        objectType: "credential",
        objectId: cred?.id ?? null,
        objectName: req.credentialName,
        after: { request: id, virtualDatabase: req.virtualDatabase, expiredAt: req.pendingPasswordExpiresAt },
      });
      return true;
    });
    if (done) purged++;
  }
  return { purged };
}
