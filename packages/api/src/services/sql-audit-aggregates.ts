import { Prisma, type Db } from "@dbmesh/db";
import { columnFilters, type SqlAuditFilter, whereSql } from "./sql-audit";

/**
 * The fingerprint groups and the per-minute chart. Aggregating raw rows costs seconds once a range
 * holds millions of them, so the whole hours (minutes) inside the range are read from the rollups a
 * trigger keeps (migration 20261125040000_sql_audit_at_scale) and only the partial hour (minute) at
 * each edge from the raw rows: the answer is exact either way. Filters the rollups do not carry
 * (credential, table, operation, text — and fingerprint for the chart) use the raw rows and their
 * indexes.
 */

const HOUR_MS = 3600_000;
const MINUTE_MS = 60_000;

interface Split {
  /** [lo, hi) is answered by the rollup; hi null: no upper bound. */
  lo: Date;
  hi: Date | null;
  /** Raw-row edges, each [from, to). */
  edges: { from: Date; to: Date | null }[];
}

/** Cuts [from, to) into whole units for the rollup and the partial units at its edges; null: too short. */
export function splitRange(from: Date, to: Date | undefined, unitMs: number): Split | null {
  const lo = new Date(Math.ceil(from.getTime() / unitMs) * unitMs);
  const hi = to ? new Date(Math.floor(to.getTime() / unitMs) * unitMs) : null;
  if (hi && hi.getTime() <= lo.getTime()) return null;
  const edges: Split["edges"] = [];
  if (from.getTime() < lo.getTime()) edges.push({ from, to: lo });
  if (to && hi && hi.getTime() < to.getTime()) edges.push({ from: hi, to });
  return { lo, hi, edges };
}

function rangeSql(column: string, from: Date, to: Date | null): Prisma.Sql {
  const col = Prisma.raw(column);
  return to ? Prisma.sql`(${col} >= ${from} AND ${col} < ${to})` : Prisma.sql`${col} >= ${from}`;
}

function edgesSql(split: Split): Prisma.Sql {
  if (split.edges.length === 0) return Prisma.sql`false`;
  return Prisma.join(
    split.edges.map((e) => rangeSql("occurred_at", e.from, e.to)),
    " OR ",
  );
}

const and = (parts: Prisma.Sql[]) => (parts.length ? Prisma.join(parts, " AND ") : Prisma.sql`true`);

function rollupFilters(f: SqlAuditFilter, dims: readonly string[]): Prisma.Sql[] {
  const parts: Prisma.Sql[] = [];
  if (f.virtualDatabase && dims.includes("virtualDatabase")) parts.push(Prisma.sql`virtual_database = ${f.virtualDatabase}`);
  if (f.decision && dims.includes("decision")) parts.push(Prisma.sql`decision = ${f.decision}`);
  if (f.fingerprint && dims.includes("fingerprint")) parts.push(Prisma.sql`fingerprint = ${f.fingerprint}`);
  return parts;
}

const FILTER_KEYS = ["virtualDatabase", "credential", "decision", "fingerprint", "operation", "table", "text"] as const;

/** True when every filter given is one the rollup carries. */
function rollupCanAnswer(f: SqlAuditFilter, dims: readonly string[]): boolean {
  return FILTER_KEYS.every((k) => !f[k] || dims.includes(k));
}

const FINGERPRINT_DIMS = ["virtualDatabase", "decision", "fingerprint"] as const;
const MINUTE_DIMS = ["virtualDatabase", "decision"] as const;

/** `rollups: false` aggregates raw rows only (the tests compare both answers). */
export interface AggregateOptions {
  rollups?: boolean;
}

type FingerprintRow = { fingerprint: string; total: bigint; denied: bigint; sample: string; last_seen: Date; avg_us: number | null };

/** Statements grouped by fingerprint, busiest first (default: the last hour). */
export async function sqlAuditFingerprints(db: Db, f: SqlAuditFilter, opts: AggregateOptions = {}) {
  const from = f.from ?? new Date(Date.now() - HOUR_MS);
  const split = opts.rollups !== false && rollupCanAnswer(f, FINGERPRINT_DIMS) ? splitRange(from, f.to, HOUR_MS) : null;
  const rows = split
    ? await db.$queryRaw<FingerprintRow[]>`
        WITH parts AS (
          SELECT fingerprint, sum(total) AS total, coalesce(sum(total) FILTER (WHERE decision = 'denied'), 0) AS denied,
                 min(sample) AS sample, max(last_seen) AS last_seen, sum(duration_sum_us) AS dsum, sum(duration_count) AS dcount
          FROM sql_audit_fingerprint_hour
          WHERE ${and([rangeSql("hour", split.lo, split.hi), ...rollupFilters(f, FINGERPRINT_DIMS)])}
          GROUP BY fingerprint
          UNION ALL
          SELECT fingerprint, count(*), count(*) FILTER (WHERE decision = 'denied'),
                 min(statement), max(occurred_at), coalesce(sum(duration_us), 0), count(duration_us)
          FROM sql_audit_event
          WHERE (${edgesSql(split)}) AND ${and(columnFilters(f))}
          GROUP BY fingerprint
        )
        SELECT fingerprint, sum(total)::bigint AS total, sum(denied)::bigint AS denied, min(sample) AS sample,
               max(last_seen) AS last_seen, (sum(dsum) / nullif(sum(dcount), 0))::float8 AS avg_us
        FROM parts GROUP BY fingerprint ORDER BY total DESC, fingerprint LIMIT 100`
    : await db.$queryRaw<FingerprintRow[]>`
        SELECT fingerprint, count(*) AS total, count(*) FILTER (WHERE decision = 'denied') AS denied,
               min(statement) AS sample, max(occurred_at) AS last_seen, avg(duration_us)::float8 AS avg_us
        FROM sql_audit_event WHERE ${whereSql({ ...f, from })}
        GROUP BY fingerprint ORDER BY total DESC, fingerprint LIMIT 100`;
  return rows.map((r) => ({
    fingerprint: r.fingerprint,
    total: Number(r.total),
    denied: Number(r.denied),
    sample: r.sample,
    lastSeen: r.last_seen,
    avgUs: r.avg_us,
  }));
}

/** Statements and denials per minute, for the chart (default: the last hour). */
export async function sqlAuditPerMinute(db: Db, f: SqlAuditFilter, opts: AggregateOptions = {}) {
  const from = f.from ?? new Date(Date.now() - HOUR_MS);
  const split = opts.rollups !== false && rollupCanAnswer(f, MINUTE_DIMS) ? splitRange(from, f.to, MINUTE_MS) : null;
  const rows = split
    ? await db.$queryRaw<{ minute: Date; total: bigint; denied: bigint }[]>`
        WITH parts AS (
          SELECT minute, total, CASE WHEN decision = 'denied' THEN total ELSE 0 END AS denied
          FROM sql_audit_minute
          WHERE ${and([rangeSql("minute", split.lo, split.hi), ...rollupFilters(f, MINUTE_DIMS)])}
          UNION ALL
          SELECT date_trunc('minute', occurred_at), 1, CASE WHEN decision = 'denied' THEN 1 ELSE 0 END
          FROM sql_audit_event
          WHERE (${edgesSql(split)}) AND ${and(columnFilters(f))}
        )
        SELECT minute, sum(total)::bigint AS total, sum(denied)::bigint AS denied FROM parts GROUP BY 1 ORDER BY 1`
    : await db.$queryRaw<{ minute: Date; total: bigint; denied: bigint }[]>`
        SELECT date_trunc('minute', occurred_at) AS minute, count(*) AS total, count(*) FILTER (WHERE decision = 'denied') AS denied
        FROM sql_audit_event WHERE ${whereSql({ ...f, from })}
        GROUP BY 1 ORDER BY 1`;
  return rows.map((r) => ({ minute: r.minute, total: Number(r.total), denied: Number(r.denied) }));
}
