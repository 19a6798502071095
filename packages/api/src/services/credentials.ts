import { ResourceName } from "@dbmesh/mesh";
import { z } from "zod";
import type { Context } from "../context";
import { AppError } from "../errors";
import { newId } from "../ids";
import { generatePassword } from "../crypto/password";
import { scramVerifier } from "../crypto/scram";
import { mutate, notFound, type Tx } from "./mutation";

// PostgreSQL role-name rules, as a client driver will send it in the startup packet.
const CredentialName = z
  .string()
  .trim()
  .min(1, "name is required")
  .max(63, "name must be at most 63 characters")
  .regex(/^[a-z_][a-z0-9_]*$/, "name must be lowercase letters, digits and '_', starting with a letter or '_'");

export const CredentialInput = z.object({
  name: CredentialName,
  description: z.string().max(500).default(""),
  virtualDatabases: z.array(ResourceName).min(1, "grant at least one virtual database"),
});
export type CredentialInput = z.infer<typeof CredentialInput>;

export type CredentialView = { id: string; name: string; description: string; virtualDatabases: string[]; createdAt: Date; updatedAt: Date };

const include = { grants: { include: { virtualDatabase: { select: { name: true } } } } } as const;

export async function listCredentials(tx: Tx): Promise<CredentialView[]> {
  const rows = await tx.credential.findMany({ include, orderBy: { name: "asc" } });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    virtualDatabases: r.grants.map((g) => g.virtualDatabase.name).sort(),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }));
}

/** For compile(): name, verifier and grants; only ever sent to authenticated agents. */
export async function credentialsForAgents(tx: Tx) {
  const rows = await tx.credential.findMany({ include, orderBy: { name: "asc" } });
  return rows.map((r) => ({
    name: r.name,
    scramVerifier: r.scramVerifier,
    virtualDatabases: r.grants.map((g) => g.virtualDatabase.name),
    // Self-service leases, revocation and rotation grace (only when set, so hand-made credentials compile as before).
    ...(r.expiresAt ? { expiresAt: r.expiresAt.toISOString() } : {}),
    ...(r.revokedAt ? { revoked: true } : {}),
    ...(r.previousScramVerifier && r.previousValidUntil && r.previousValidUntil > new Date()
      ? { previousScramVerifier: r.previousScramVerifier, previousValidUntil: r.previousValidUntil.toISOString() }
      : {}),
  }));
}

async function vdbIds(tx: Tx, names: string[]): Promise<string[]> {
  const rows = await tx.virtualDatabase.findMany({ where: { name: { in: names } }, select: { id: true, name: true } });
  for (const n of names) {
    if (!rows.some((r) => r.name === n)) throw new AppError("BAD_REQUEST", `virtual database "${n}" does not exist`, { field: "virtualDatabases" });
  }
  return rows.map((r) => r.id);
}

/** Creates a credential with a generated password, returned once. */
export async function createCredential(ctx: Context, input: CredentialInput, password = generatePassword()) {
  const verifier = scramVerifier(password);
  return mutate(ctx, { mesh: true }, async (tx, audit) => {
    if (await tx.credential.findUnique({ where: { name: input.name } })) {
      throw new AppError("CONFLICT", `a credential named "${input.name}" already exists`, { field: "name" });
    }
    const ids = await vdbIds(tx, [...new Set(input.virtualDatabases)]);
    const row = await tx.credential.create({
      data: { id: newId("cred"), name: input.name, description: input.description, scramVerifier: verifier, grants: { create: ids.map((virtualDatabaseId) => ({ virtualDatabaseId })) } },
    });
    await audit({ action: "credential.create", objectType: "credential", objectId: row.id, objectName: row.name, after: input });
    return { id: row.id, name: row.name, password };
  });
}

export async function updateCredential(ctx: Context, input: { id: string; data: CredentialInput }) {
  return mutate(ctx, { mesh: true }, async (tx, audit) => {
    const before = (await listCredentials(tx)).find((c) => c.id === input.id);
    if (!before) throw notFound("credential", input.id);
    const clash = await tx.credential.findUnique({ where: { name: input.data.name } });
    if (clash && clash.id !== input.id) throw new AppError("CONFLICT", `a credential named "${input.data.name}" already exists`, { field: "name" });
    const ids = await vdbIds(tx, [...new Set(input.data.virtualDatabases)]);
    await tx.credential.update({ where: { id: input.id }, data: { name: input.data.name, description: input.data.description } });
    await tx.credentialGrant.deleteMany({ where: { credentialId: input.id } });
    await tx.credentialGrant.createMany({ data: ids.map((virtualDatabaseId) => ({ credentialId: input.id, virtualDatabaseId })) });
    await audit({ action: "credential.update", objectType: "credential", objectId: input.id, objectName: input.data.name, before, after: input.data });
    return { id: input.id };
  });
}

/** A new password (returned once); the agents learn the new verifier at the next revision. */
export async function rotateCredential(ctx: Context, input: { id: string }) {
  const password = generatePassword();
  const verifier = scramVerifier(password);
  return mutate(ctx, { mesh: true }, async (tx, audit) => {
    const row = await tx.credential.findUnique({ where: { id: input.id } });
    if (!row) throw notFound("credential", input.id);
    await tx.credential.update({ where: { id: row.id }, data: { scramVerifier: verifier } });
    await audit({ action: "credential.rotate", objectType: "credential", objectId: row.id, objectName: row.name });
    return { id: row.id, name: row.name, password };
  });
}

export async function deleteCredential(ctx: Context, input: { id: string }) {
  return mutate(ctx, { mesh: true }, async (tx, audit) => {
    const before = (await listCredentials(tx)).find((c) => c.id === input.id);
    if (!before) throw notFound("credential", input.id);
    await tx.credential.delete({ where: { id: input.id } });
    await audit({ action: "credential.delete", objectType: "credential", objectId: input.id, objectName: before.name, before });
    return { id: input.id };
  });
}
