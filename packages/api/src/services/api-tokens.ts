import { z } from "zod";
import type { Context } from "../context";
import { requireActor } from "../actor";
import { newId } from "../ids";
import { newSecretToken, sha256Hex } from "../crypto/token";
import { API_TOKEN_PREFIX } from "../auth/api-tokens";
import { AppError } from "../errors";
import { mutate, notFound } from "./mutation";

export const ApiTokenCreateInput = z.object({
  name: z.string().trim().min(1, "name is required").max(100),
  expiresInDays: z.coerce.number().int().min(1, "a token lives at least 1 day").max(365, "a token lives at most 365 days").default(90),
});
export type ApiTokenCreateInput = z.infer<typeof ApiTokenCreateInput>;

const fields = { id: true, name: true, prefix: true, expiresAt: true, lastUsedAt: true, revokedAt: true, createdAt: true, user: { select: { email: true } } } as const;

/** A user's own tokens; an ADMIN sees everyone's. Never the secret. */
export function listApiTokens(ctx: Context) {
  const actor = requireActor(ctx);
  return ctx.db.apiToken.findMany({
    where: actor.role === "ADMIN" ? {} : { userId: actor.userId },
    select: fields,
    orderBy: { createdAt: "desc" },
  });
}

/** The token is returned once, here; only its hash is kept. */
export async function createApiToken(ctx: Context, input: ApiTokenCreateInput) {
  const actor = requireActor(ctx);
  const token = newSecretToken(API_TOKEN_PREFIX);
  const expiresAt = new Date(Date.now() + input.expiresInDays * 86400_000);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const row = await tx.apiToken.create({
      data: { id: newId("tok"), name: input.name, prefix: token.slice(0, 10), tokenHash: sha256Hex(token), userId: actor.userId, expiresAt },
      select: fields,
    });
    await audit({ action: "api_token.create", objectType: "api_token", objectId: row.id, objectName: row.name, after: { name: row.name, expiresAt } });
    return { ...row, token };
  });
}

export async function revokeApiToken(ctx: Context, input: { id: string }) {
  const actor = requireActor(ctx);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const row = await tx.apiToken.findUnique({ where: { id: input.id } });
    if (!row || (row.userId !== actor.userId && actor.role !== "ADMIN")) throw notFound("API token", input.id);
    if (row.revokedAt) throw new AppError("PRECONDITION_FAILED", `API token "${row.name}" is already revoked`);
    await tx.apiToken.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
    await audit({ action: "api_token.revoke", objectType: "api_token", objectId: row.id, objectName: row.name });
    return { id: row.id };
  });
}
