import type { Db, Prisma } from "@dbmesh/db";
import { z } from "zod";
import { csvCell } from "./csv";

export const AuditFilter = z.object({
  /** Matches the actor's email (substring, case-insensitive) or exact actor id. */
  actor: z.string().trim().max(200).optional(),
  action: z.string().trim().max(100).optional(),
  objectType: z.string().trim().max(100).optional(),
  /** Free text over the object's name and id. */
  object: z.string().trim().max(200).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});
export type AuditFilter = z.infer<typeof AuditFilter>;

export const AuditListInput = AuditFilter.extend({
  /** Keyset cursor: the id of the last row of the previous page (rows come newest first). */
  cursor: z.string().regex(/^\d+$/).optional(),
  limit: z.number().int().min(1).max(500).default(50),
});
export type AuditListInput = z.infer<typeof AuditListInput>;

export function auditWhere(f: AuditFilter, cursor?: string): Prisma.AuditEventWhereInput {
  const and: Prisma.AuditEventWhereInput[] = [];
  if (f.actor) and.push({ OR: [{ actorEmail: { contains: f.actor, mode: "insensitive" } }, { actorId: f.actor }] });
  if (f.action) and.push({ action: f.action });
  if (f.objectType) and.push({ objectType: f.objectType });
  if (f.object) and.push({ OR: [{ objectName: { contains: f.object, mode: "insensitive" } }, { objectId: f.object }] });
  if (f.from) and.push({ createdAt: { gte: f.from } });
  if (f.to) and.push({ createdAt: { lt: f.to } });
  if (cursor) and.push({ id: { lt: BigInt(cursor) } });
  return { AND: and };
}

export type AuditRow = {
  id: string;
  createdAt: Date;
  actorId: string | null;
  actorEmail: string | null;
  actorKind: string;
  ip: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  objectName: string | null;
  before: unknown;
  after: unknown;
  hash: string;
};

function toRow(r: Prisma.AuditEventGetPayload<object>): AuditRow {
  return {
    id: r.id.toString(),
    createdAt: r.createdAt,
    actorId: r.actorId,
    actorEmail: r.actorEmail,
    actorKind: r.actorKind,
    ip: r.ip,
    action: r.action,
    objectType: r.objectType,
    objectId: r.objectId,
    objectName: r.objectName,
    before: r.before,
    after: r.after,
    hash: r.hash,
  };
}

/** Newest first, by id (ids follow commit order); O(limit) per page whatever the table size. */
export async function listAuditEvents(db: Db, input: AuditListInput): Promise<{ items: AuditRow[]; nextCursor: string | null }> {
  const rows = await db.auditEvent.findMany({
    where: auditWhere(input, input.cursor),
    orderBy: { id: "desc" },
    take: input.limit + 1,
  });
  const items = rows.slice(0, input.limit).map(toRow);
  return { items, nextCursor: rows.length > input.limit ? items[items.length - 1]!.id : null };
}

/** The distinct actions and object types, for the filter dropdowns. */
export async function auditFacets(db: Db) {
  const [actions, objectTypes] = await Promise.all([
    db.$queryRaw<{ v: string }[]>`SELECT DISTINCT action AS v FROM audit_event ORDER BY 1`,
    db.$queryRaw<{ v: string }[]>`SELECT DISTINCT object_type AS v FROM audit_event ORDER BY 1`,
  ]);
  return { actions: actions.map((r) => r.v), objectTypes: objectTypes.map((r) => r.v) };
}

export async function verifyAuditChain(db: Db) {
  const [problems, count] = await Promise.all([
    db.$queryRaw<{ event_id: bigint; problem: string }[]>`SELECT event_id, problem FROM audit_verify_chain() LIMIT 100`,
    db.auditEvent.count(),
  ]);
  return { intact: problems.length === 0, checked: count, problems: problems.map((p) => ({ id: p.event_id.toString(), problem: p.problem })) };
}

const CSV_COLUMNS = ["id", "created_at", "actor_email", "actor_id", "actor_kind", "ip", "action", "object_type", "object_id", "object_name", "before", "after", "hash"] as const;


/** Streams the filtered log as CSV, walking the keyset in pages so memory stays flat. */
export function auditCsvStream(db: Db, filter: AuditFilter): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let cursor: string | undefined;
  let headerSent = false;
  return new ReadableStream({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(enc.encode(CSV_COLUMNS.join(",") + "\n"));
        return;
      }
      const page = await listAuditEvents(db, { ...filter, cursor, limit: 500 });
      const lines = page.items.map((r) =>
        [r.id, r.createdAt, r.actorEmail, r.actorId, r.actorKind, r.ip, r.action, r.objectType, r.objectId, r.objectName, r.before, r.after, r.hash]
          .map(csvCell)
          .join(","),
      );
      if (lines.length) controller.enqueue(enc.encode(lines.join("\n") + "\n"));
      if (!page.nextCursor) controller.close();
      cursor = page.nextCursor ?? undefined;
    },
  });
}
