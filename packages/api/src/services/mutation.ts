import type { Prisma } from "@dbmesh/db";
import type { Context } from "../context";
import { AppError, isUniqueViolation } from "../errors";
import { bumpMeshRevision } from "../mesh-revision";
import { writeAudit, type AuditEntry } from "../audit/write-audit";

export type Tx = Prisma.TransactionClient;

/**
 * Runs a mutation in one transaction together with its audit row(s) — and, for mesh changes, the
 * revision bump — so that it commits or fails whole.
 */
export async function mutate<T>(
  // Only what a mutation needs, so that jobs (a system actor, no HTTP request) can use it too.
  ctx: Pick<Context, "db" | "actor" | "ip">,
  opts: { mesh: boolean },
  fn: (tx: Tx, audit: (entry: AuditEntry) => Promise<void>) => Promise<T>,
): Promise<T> {
  try {
    return await ctx.db.$transaction(
      async (tx) => {
        const result = await fn(tx, (entry) => writeAudit(tx, ctx, entry));
        if (opts.mesh) await bumpMeshRevision(tx);
        return result;
      },
      { timeout: 20_000, maxWait: 10_000 },
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError("CONFLICT", "an object with that name already exists", { field: "name" });
    throw err;
  }
}

export function notFound(kind: string, idOrName: string): AppError {
  return new AppError("NOT_FOUND", `${kind} ${idOrName} not found`);
}

export function duplicateName(kind: string, name: string): AppError {
  const article = /^[aeiou]/i.test(kind) ? "an" : "a";
  return new AppError("CONFLICT", `${article} ${kind} named "${name}" already exists`, { field: "name" });
}
