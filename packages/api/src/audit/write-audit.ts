import type { Prisma } from "@dbmesh/db";
import type { Context } from "../context";
import { redact } from "./redact";

export interface AuditEntry {
  action: string;
  objectType: string;
  objectId?: string | null;
  objectName?: string | null;
  before?: unknown;
  after?: unknown;
}

type AuditWriter = { auditEvent: Prisma.TransactionClient["auditEvent"] };

/**
 * Writes one control-plane audit row. Call it with the mutation's transaction client so the row
 * commits or rolls back with the change it describes; the hash chain is filled in by the database.
 */
export async function writeAudit(
  tx: AuditWriter,
  ctx: Pick<Context, "actor" | "ip">,
  entry: AuditEntry,
  actorOverride?: { id: string | null; email: string | null; kind: string },
): Promise<void> {
  const actor = actorOverride ?? {
    id: ctx.actor?.userId ?? null,
    email: ctx.actor?.email ?? null,
    kind: ctx.actor ? ctx.actor.kind : "anonymous",
  };
  await tx.auditEvent.create({
    data: {
      actorId: actor.id,
      actorEmail: actor.email,
      actorKind: actor.kind,
      ip: ctx.ip,
      action: entry.action,
      objectType: entry.objectType,
      objectId: entry.objectId ?? null,
      objectName: entry.objectName ?? null,
      before: entry.before === undefined || entry.before === null ? undefined : (redact(entry.before) as Prisma.InputJsonValue),
      after: entry.after === undefined || entry.after === null ? undefined : (redact(entry.after) as Prisma.InputJsonValue),
    },
  });
}
