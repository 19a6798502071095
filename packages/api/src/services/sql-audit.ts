import { Prisma, type Db } from "@dbmesh/db";
import { z } from "zod";
import { csvCell } from "./csv";

export const SqlAuditFilter = z.object({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  virtualDatabase: z.string().trim().max(100).optional(),
  credential: z.string().trim().max(100).optional(),
  decision: z.enum(["allowed", "denied"]).optional(),
  /** An operation done on any table: select, insert, update, delete, truncate, ddl … */
  operation: z.string().trim().max(50).optional(),
  /** `table` or `schema.table`, exact. */
  table: z.string().trim().max(200).optional(),
  fingerprint: z.string().trim().max(100).optional(),
  /** Substring of the (normalized) statement, case-insensitive. */
  text: z.string().trim().max(500).optional(),
});
export type SqlAuditFilter = z.infer<typeof SqlAuditFilter>;

export const SqlAuditListInput = SqlAuditFilter.extend({
  /** `<occurredAt ISO>|<eventId>` of the last row of the previous page (newest first). */
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(500).default(50),
});

function tableMatch(table: string): Prisma.SqlAuditEventWhereInput {
  const [schema, name] = table.includes(".") ? table.split(".", 2) : [undefined, table];
  return { tables: { array_contains: [schema ? { schema, name } : { name }] } };
}

export function sqlAuditWhere(f: SqlAuditFilter, cursor?: string): Prisma.SqlAuditEventWhereInput {
  const and: Prisma.SqlAuditEventWhereInput[] = [];
  if (f.from) and.push({ occurredAt: { gte: f.from } });
  if (f.to) and.push({ occurredAt: { lt: f.to } });
  if (f.virtualDatabase) and.push({ virtualDatabase: f.virtualDatabase });
  if (f.credential) and.push({ credential: f.credential });
  if (f.decision) and.push({ decision: f.decision });
  if (f.operation) and.push({ tables: { array_contains: [{ operation: f.operation }] } });
  if (f.table) and.push(tableMatch(f.table));
  if (f.fingerprint) and.push({ fingerprint: f.fingerprint });
  if (f.text) and.push({ statement: { contains: f.text, mode: "insensitive" } });
  if (cursor) {
    const bar = cursor.indexOf("|");
    const at = new Date(cursor.slice(0, bar));
    const id = cursor.slice(bar + 1);
    if (bar > 0 && !Number.isNaN(at.getTime())) and.push({ OR: [{ occurredAt: { lt: at } }, { occurredAt: at, eventId: { lt: id } }] });
  }
  return { AND: and };
}

function toRow(r: Prisma.SqlAuditEventGetPayload<object>) {
  return {
    id: r.eventId,
    occurredAt: r.occurredAt,
    agentName: r.agentName,
    virtualDatabase: r.virtualDatabase,
    credential: r.credential,
    clientAddress: r.clientAddress,
    applicationName: r.applicationName,
    statement: r.statement,
    fingerprint: r.fingerprint,
    kind: r.kind,
    tables: r.tables as { schema: string | null; name: string; operation: string }[],
    decision: r.decision as "allowed" | "denied",
    rule: r.rule,
    backend: r.backend,
    durationUs: r.durationUs === null ? null : Number(r.durationUs),
    rows: r.rowCount === null ? null : Number(r.rowCount),
    sqlstate: r.sqlstate,
  };
}
export type SqlAuditRow = ReturnType<typeof toRow>;

/** Newest first on the primary key (occurred_at, event_id): each page is an index range scan. */
export async function listSqlAudit(db: Db, input: z.infer<typeof SqlAuditListInput>) {
  const rows = await db.sqlAuditEvent.findMany({
    where: sqlAuditWhere(input, input.cursor),
    orderBy: [{ occurredAt: "desc" }, { eventId: "desc" }],
    take: input.limit + 1,
  });
  const items = rows.slice(0, input.limit).map(toRow);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > input.limit && last ? `${last.occurredAt.toISOString()}|${last.id}` : null };
}

/** The SQL of a filter over raw rows: the range plus every column filter. */
export function whereSql(f: SqlAuditFilter): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`occurred_at >= ${f.from ?? new Date(Date.now() - 3600_000)}`];
  if (f.to) parts.push(Prisma.sql`occurred_at < ${f.to}`);
  parts.push(...columnFilters(f));
  return Prisma.join(parts, " AND ");
}

/** Every filter but the time range. */
export function columnFilters(f: SqlAuditFilter): Prisma.Sql[] {
  const parts: Prisma.Sql[] = [];
  if (f.virtualDatabase) parts.push(Prisma.sql`virtual_database = ${f.virtualDatabase}`);
  if (f.credential) parts.push(Prisma.sql`credential = ${f.credential}`);
  if (f.decision) parts.push(Prisma.sql`decision = ${f.decision}`);
  if (f.fingerprint) parts.push(Prisma.sql`fingerprint = ${f.fingerprint}`);
  if (f.operation) parts.push(Prisma.sql`tables @> ${JSON.stringify([{ operation: f.operation }])}::jsonb`);
  if (f.table) {
    const [schema, name] = f.table.includes(".") ? f.table.split(".", 2) : [undefined, f.table];
    parts.push(Prisma.sql`tables @> ${JSON.stringify([schema ? { schema, name } : { name }])}::jsonb`);
  }
  if (f.text) parts.push(Prisma.sql`statement ILIKE ${`%${f.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`);
  return parts;
}

const CSV_COLUMNS = ["occurred_at", "event_id", "agent", "virtual_database", "credential", "client_address", "application_name", "decision", "rule", "kind", "tables", "statement", "fingerprint", "backend", "duration_us", "rows", "sqlstate"];


export function sqlAuditCsvStream(db: Db, filter: SqlAuditFilter): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let cursor: string | undefined;
  let started = false;
  return new ReadableStream({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(enc.encode(CSV_COLUMNS.join(",") + "\n"));
        return;
      }
      const page = await listSqlAudit(db, { ...filter, cursor, limit: 500 });
      const lines = page.items.map((r) =>
        [r.occurredAt, r.id, r.agentName, r.virtualDatabase, r.credential, r.clientAddress, r.applicationName, r.decision, r.rule, r.kind, r.tables, r.statement, r.fingerprint, r.backend, r.durationUs, r.rows, r.sqlstate]
          .map(csvCell)
          .join(","),
      );
      if (lines.length) controller.enqueue(enc.encode(lines.join("\n") + "\n"));
      if (!page.nextCursor) controller.close();
      cursor = page.nextCursor ?? undefined;
    },
  });
}
