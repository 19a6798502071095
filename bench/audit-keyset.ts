// How fast does the console page through a big audit log? Fills a scratch database with
// AUDIT_ROWS rows (default 1,000,000) through the real hash-chain trigger, then times the API's
// keyset query (listAuditEvents) at the head and deep in the log against OFFSET paging of the same
// page, side by side in one run. Prints the figures last, as JSON.
//   npx tsx bench/audit-keyset.ts            (AUDIT_ROWS=200000 for a quicker run)
import { createTestDatabase } from "@dbmesh/db/testing";
import { listAuditEvents } from "../packages/api/src/services/audit-log";

const ROWS = Number(process.env.AUDIT_ROWS ?? 1_000_000);
const REPEAT = 20;

async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm
  const t0 = performance.now();
  for (let i = 0; i < REPEAT; i++) await fn();
  return (performance.now() - t0) / REPEAT;
}

const tdb = await createTestDatabase();
try {
  const t0 = performance.now();
  const batch = 100_000;
  for (let done = 0; done < ROWS; done += batch) {
    const n = Math.min(batch, ROWS - done);
    await tdb.db.$executeRawUnsafe(`
      INSERT INTO audit_event (actor_id, actor_email, actor_kind, ip, action, object_type, object_name, after)
      SELECT 'usr_' || (g % 50), 'user' || (g % 50) || '@example.test', 'user', '10.0.0.' || (g % 200),
             (ARRAY['endpoint.update','virtual_database.update','auth.login','access_rule.create'])[1 + g % 4],
             (ARRAY['endpoint','virtual_database','user','access_rule'])[1 + g % 4],
             'obj-' || g, jsonb_build_object('n', g)
      FROM generate_series(${done + 1}, ${done + n}) g`);
  }
  const fillSeconds = (performance.now() - t0) / 1000;
  await tdb.db.$executeRawUnsafe("ANALYZE audit_event");

  const maxId = (await tdb.db.$queryRawUnsafe<{ m: bigint }[]>("SELECT max(id) AS m FROM audit_event"))[0]!.m;
  const deepCursor = (maxId - BigInt(Math.floor(ROWS * 0.9)) * 2n).toString(); // ids step by 2 (see migration)
  const deepOffset = Math.floor(ROWS * 0.9);

  const keysetHead = await time(() => listAuditEvents(tdb.db, { limit: 50 }));
  const keysetDeep = await time(() => listAuditEvents(tdb.db, { limit: 50, cursor: deepCursor }));
  const keysetFiltered = await time(() => listAuditEvents(tdb.db, { limit: 50, action: "auth.login", cursor: deepCursor }));
  const offsetDeep = await time(() => tdb.db.auditEvent.findMany({ orderBy: { id: "desc" }, skip: deepOffset, take: 50 }));

  const result = {
    rows: ROWS,
    fillSeconds: Number(fillSeconds.toFixed(1)),
    msPerPage: {
      keysetHead: Number(keysetHead.toFixed(2)),
      keysetAt90Percent: Number(keysetDeep.toFixed(2)),
      keysetFilteredAt90Percent: Number(keysetFiltered.toFixed(2)),
      offsetAt90Percent: Number(offsetDeep.toFixed(2)),
    },
    offsetOverKeysetAt90Percent: Number((offsetDeep / keysetDeep).toFixed(1)),
  };
  process.stdout.write(JSON.stringify(result) + "\n");
} finally {
  await tdb.drop();
}
