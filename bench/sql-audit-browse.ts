// How fast does the SQL audit browser answer over millions of audited statements? Fills a scratch
// database with SQL_AUDIT_ROWS rows (default 10,000,000, spread over 3 days; minutes on a small box)
// through the real insert path (rollup trigger included), then times the API's own queries: keyset
// pages with each filter, and the fingerprint groups and per-minute chart read from the rollups
// side by side with the same answer aggregated from raw rows. Prints the figures last, as JSON.
//   npx tsx bench/sql-audit-browse.ts          (SQL_AUDIT_ROWS=1000000 for a quicker run)
import { generateSqlAudit } from "@dbmesh/db/sql-audit-volume";
import { createTestDatabase } from "@dbmesh/db/testing";
import { listSqlAudit } from "../packages/api/src/services/sql-audit";
import { sqlAuditFingerprints, sqlAuditPerMinute } from "../packages/api/src/services/sql-audit-aggregates";

const ROWS = Number(process.env.SQL_AUDIT_ROWS ?? 10_000_000);
const REPEAT = 5;
const HOUR = 3600_000;

async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm
  const t0 = performance.now();
  for (let i = 0; i < REPEAT; i++) await fn();
  return Number(((performance.now() - t0) / REPEAT).toFixed(2));
}

const tdb = await createTestDatabase();
try {
  const t0 = performance.now();
  await generateSqlAudit(tdb.db, ROWS, {
    days: 3,
    onProgress: (done) => process.stderr.write(`\rgenerated ${done.toLocaleString("en-US")} rows`),
  });
  process.stderr.write("\n");
  const fillSeconds = Number(((performance.now() - t0) / 1000).toFixed(1));
  const db = tdb.db;
  const week = new Date(Date.now() - 168 * HOUR);
  const day = new Date(Date.now() - 24 * HOUR);

  const pageMs = {
    head: await time(() => listSqlAudit(db, { from: week, limit: 50 })),
    credential: await time(() => listSqlAudit(db, { from: week, limit: 50, credential: "app_3" })),
    denied: await time(() => listSqlAudit(db, { from: week, limit: 50, decision: "denied" })),
    rareTable: await time(() => listSqlAudit(db, { from: week, limit: 50, table: "public.t399" })),
    text: await time(() => listSqlAudit(db, { from: week, limit: 50, text: "t377 SET" })),
    absentText: await time(() => listSqlAudit(db, { from: week, limit: 50, text: "no-such-statement" })),
  };
  const aggregateMs = {
    fingerprints24h: await time(() => sqlAuditFingerprints(db, { from: day })),
    fingerprints24hRaw: await time(() => sqlAuditFingerprints(db, { from: day }, { rollups: false })),
    perMinute24h: await time(() => sqlAuditPerMinute(db, { from: day })),
    perMinute24hRaw: await time(() => sqlAuditPerMinute(db, { from: day }, { rollups: false })),
    fingerprints7d: await time(() => sqlAuditFingerprints(db, { from: week })),
    fingerprints7dRaw: await time(() => sqlAuditFingerprints(db, { from: week }, { rollups: false })),
    perMinute7d: await time(() => sqlAuditPerMinute(db, { from: week })),
    perMinute7dRaw: await time(() => sqlAuditPerMinute(db, { from: week }, { rollups: false })),
  };
  const result = {
    rows: ROWS,
    fillSeconds,
    pageMs,
    aggregateMs,
    rawOverRollup7dFingerprints: Number((aggregateMs.fingerprints7dRaw / aggregateMs.fingerprints7d).toFixed(1)),
    rawOverRollup7dPerMinute: Number((aggregateMs.perMinute7dRaw / aggregateMs.perMinute7d).toFixed(1)),
  };
  process.stdout.write(JSON.stringify(result) + "\n");
} finally {
  await tdb.drop();
}
