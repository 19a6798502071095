import type { Db } from "./index";

/**
 * Fills `sql_audit_event` with a realistic mass of rows, for the 10-million-row browser test and the
 * keyset benchmark: a handful of virtual databases and credentials, a few hundred fingerprints with
 * their tables, about 1% denials, spread evenly over the last `days` days (partitions are made first,
 * so the rows land in day partitions and not in the default one).
 *
 * Every generated row carries the agent name `volume-seed`, so a caller can tell whether the table
 * already holds a full generated set and skip the work (`countGeneratedSqlAudit`).
 */
export const VOLUME_AGENT = "volume-seed";

export const VOLUME_SHAPE = {
  virtualDatabases: ["orders", "billing", "catalog", "analytics", "identity"],
  credentials: 20,
  fingerprints: 400,
  /** One row in this many is a denial. */
  denialEvery: 97,
} as const;

export async function countGeneratedSqlAudit(db: Db): Promise<number> {
  const rows = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM sql_audit_event WHERE agent_name = ${VOLUME_AGENT}`;
  return Number(rows[0]?.n ?? 0);
}

/**
 * Inserts `total` rows in batches (one statement each, `concurrency` at a time: the Db needs that many
 * connections), newest at now(), oldest `days` days ago.
 */
export async function generateSqlAudit(
  db: Db,
  total: number,
  opts: { days?: number; batch?: number; concurrency?: number; onProgress?: (done: number) => void; idPrefix?: string } = {},
): Promise<void> {
  // Distinct per call, so that topping up a table that lost some days to retention never collides.
  const idPrefix = opts.idPrefix ?? `vol-${Date.now().toString(36)}-`;
  if (!/^[A-Za-z0-9_-]*$/.test(idPrefix)) throw new Error(`idPrefix "${idPrefix}": letters, digits, '_' and '-' only`);
  const days = opts.days ?? 3;
  const batch = opts.batch ?? 500_000;
  await db.$queryRawUnsafe(`SELECT * FROM sql_audit_ensure_partitions(${Math.ceil(days) + 1}, 7)`);
  const vdbs = `ARRAY[${VOLUME_SHAPE.virtualDatabases.map((v) => `'${v}'`).join(",")}]`;
  const spanMs = days * 86_400_000;
  // g spreads over the span; f picks the fingerprint (skewed: low numbers are much busier).
  const insertBatch = (from: number, to: number) =>
    db.$executeRawUnsafe(`
      INSERT INTO sql_audit_event (occurred_at, event_id, agent_id, agent_name, virtual_database, credential,
        client_address, application_name, statement, fingerprint, kind, tables, decision, rule, backend,
        duration_us, row_count, sqlstate)
      SELECT now() - make_interval(secs => (${total} - g)::float8 * ${spanMs / 1000} / ${total}),
             '${idPrefix}' || lpad(g::text, 9, '0'),
             'agt_volume', '${VOLUME_AGENT}',
             (${vdbs})[1 + f % ${VOLUME_SHAPE.virtualDatabases.length}],
             'app_' || (g % ${VOLUME_SHAPE.credentials}),
             '10.1.' || (g % 7) || '.' || (g % 251),
             (ARRAY['checkout','billing-sync','reporting','psql'])[1 + g % 4],
             CASE f % 4
               WHEN 0 THEN 'SELECT * FROM public.t' || f || ' WHERE id = $1'
               WHEN 1 THEN 'UPDATE public.t' || f || ' SET status = $1 WHERE id = $2'
               WHEN 2 THEN 'INSERT INTO public.t' || f || ' (id, payload) VALUES ($1, $2)'
               ELSE 'SELECT count(*) FROM public.t' || f || ' JOIN public.t' || (f + 1) || ' USING (id)'
             END,
             'fp' || lpad(f::text, 6, '0'),
             CASE f % 4 WHEN 0 THEN 'read' WHEN 3 THEN 'read' ELSE 'write' END,
             CASE f % 4
               WHEN 0 THEN jsonb_build_array(jsonb_build_object('schema', 'public', 'name', 't' || f, 'operation', 'select'))
               WHEN 1 THEN jsonb_build_array(jsonb_build_object('schema', 'public', 'name', 't' || f, 'operation', 'update'))
               WHEN 2 THEN jsonb_build_array(jsonb_build_object('schema', 'public', 'name', 't' || f, 'operation', 'insert'))
               ELSE jsonb_build_array(jsonb_build_object('schema', 'public', 'name', 't' || f, 'operation', 'select'),
                                      jsonb_build_object('schema', 'public', 'name', 't' || (f + 1), 'operation', 'select'))
             END,
             CASE WHEN g % ${VOLUME_SHAPE.denialEvery} = 0 THEN 'denied' ELSE 'allowed' END,
             CASE WHEN g % ${VOLUME_SHAPE.denialEvery} = 0 THEN 'deny-writes' END,
             CASE WHEN g % ${VOLUME_SHAPE.denialEvery} = 0 THEN NULL ELSE 'pg-' || (g % 3) END,
             CASE WHEN g % ${VOLUME_SHAPE.denialEvery} = 0 THEN 0 ELSE 50 + (g * 7919) % 5000 END,
             CASE WHEN g % ${VOLUME_SHAPE.denialEvery} = 0 THEN NULL ELSE g % 20 END,
             CASE WHEN g % ${VOLUME_SHAPE.denialEvery} = 0 THEN '42501' END
      FROM (SELECT g, floor(${VOLUME_SHAPE.fingerprints} * power(((g * 2654435761::bigint) % 1000003) / 1000003.0, 3))::int AS f
            FROM generate_series(${from}::bigint, ${to}::bigint) g) s`);
  // One backend loads on one core. Batches cover disjoint slices of time, so two at once rarely wait on the same
  // rollup rows (the trigger locks them in sorted order: no deadlock). Measured here: 1 million rows in 41 s on
  // two connections, against 80 s on one; the e2e test's 10 million took 13 minutes on one.
  let next = 0;
  let inserted = 0;
  let failed = false;
  const insertBatches = async () => {
    for (let done = next; done < total && !failed; done = next) {
      next += batch;
      const from = done + 1;
      const to = Math.min(done + batch, total);
      try {
        await insertBatch(from, to);
      } catch (err) {
        failed = true; // the other loop stops after its current batch
        throw err;
      }
      inserted += to - from + 1;
      opts.onProgress?.(inserted);
    }
  };
  // Every loop has stopped before the first error is thrown: nothing goes on inserting behind the caller's back.
  const outcomes = await Promise.allSettled(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, insertBatches));
  for (const o of outcomes) if (o.status === "rejected") throw o.reason;
  await db.$executeRawUnsafe("ANALYZE sql_audit_event");
}
