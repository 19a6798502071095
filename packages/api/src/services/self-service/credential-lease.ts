import { z } from "zod";
import type { Context } from "../../context";
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

/** The issued password, once: it is deleted as it is returned. */
export async function revealIssuedPassword(ctx: Context, input: { id: string }) {
  const actor = requireActor(ctx);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const req = await tx.databaseRequest.findUnique({ where: { id: input.id } });
    if (!req || req.requesterId !== actor.userId) throw notFound("database request", input.id);
    if (!req.pendingPasswordEnc || !req.credentialName) {
      throw new AppError("PRECONDITION_FAILED", "the password was already shown once (or is not issued yet): rotate the credential for a new one");
    }
    const password = decryptSecret(req.pendingPasswordEnc, ctx.env.DBMESH_SECRET_KEY);
    await tx.databaseRequest.update({ where: { id: req.id }, data: { pendingPasswordEnc: null } });
    const cred = await tx.credential.findUnique({ where: { name: req.credentialName } });
    await audit({ action: "credential.reveal", objectType: "credential", objectId: cred?.id ?? null, objectName: req.credentialName, after: { request: req.id } });
    return { credential: req.credentialName, credentialId: cred?.id ?? null, virtualDatabase: req.virtualDatabase, password };
  });
}
