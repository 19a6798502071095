import { createTestDatabase, type TestDatabase } from "@dbmesh/db/testing";
import { generateSqlAudit, VOLUME_SHAPE } from "@dbmesh/db/sql-audit-volume";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlAuditFingerprints, sqlAuditPerMinute } from "./sql-audit-aggregates";
import type { SqlAuditFilter } from "./sql-audit";

// The rollup path must give exactly what aggregating the raw rows gives, for every shape of range
// (aligned, unaligned, open-ended, shorter than one unit) and every filter it accepts.
const ROWS = 40_000;
const HOURS = 6;

let t: TestDatabase;
let now: number;

beforeAll(async () => {
  t = await createTestDatabase();
  now = Date.now();
  await generateSqlAudit(t.db, ROWS, { days: HOURS / 24 });
}, 120_000);
afterAll(async () => t?.drop());

const round = <T extends { avgUs: number | null }>(rows: T[]) => rows.map((r) => ({ ...r, avgUs: r.avgUs === null ? null : Math.round(r.avgUs * 1000) }));

const RANGE_NAMES = ["unaligned, open-ended", "aligned, open-ended", "unaligned both ends", "aligned both ends", "shorter than an hour", "shorter than a minute", "everything"] as const;

function ranges(): Record<(typeof RANGE_NAMES)[number], Pick<SqlAuditFilter, "from" | "to">> {
  const hour = 3600_000;
  const alignedHour = Math.floor(now / hour) * hour;
  return {
    "unaligned, open-ended": { from: new Date(now - 4.3 * hour) },
    "aligned, open-ended": { from: new Date(alignedHour - 3 * hour) },
    "unaligned both ends": { from: new Date(now - 5.55 * hour), to: new Date(now - 1.27 * hour) },
    "aligned both ends": { from: new Date(alignedHour - 4 * hour), to: new Date(alignedHour - hour) },
    "shorter than an hour": { from: new Date(now - 2.4 * hour), to: new Date(now - 2.1 * hour) },
    "shorter than a minute": { from: new Date(now - 2 * hour - 10_000), to: new Date(now - 2 * hour + 20_000) },
    "everything": { from: new Date(now - 7 * hour) },
  };
}

const filters: Record<string, Partial<SqlAuditFilter>> = {
  none: {},
  "one virtual database": { virtualDatabase: VOLUME_SHAPE.virtualDatabases[1] },
  denials: { decision: "denied" },
  "vdb and denials": { virtualDatabase: VOLUME_SHAPE.virtualDatabases[0], decision: "denied" },
  "one fingerprint": { fingerprint: "fp000003" },
};

describe("fingerprint groups and the per-minute chart read the rollups", () => {
  it("the rollups hold every generated row once, and a resent batch adds nothing", async () => {
    const before = await t.db.$queryRaw<{ m: bigint; h: bigint }[]>`
      SELECT (SELECT sum(total) FROM sql_audit_minute) AS m, (SELECT sum(total) FROM sql_audit_fingerprint_hour) AS h`;
    expect(Number(before[0]!.m)).toBe(ROWS);
    expect(Number(before[0]!.h)).toBe(ROWS);
    // The same rows again, as a resent batch is: skipped by the key, so not counted.
    const resent = await t.db.$executeRawUnsafe(`
      INSERT INTO sql_audit_event (occurred_at, event_id, agent_id, agent_name, virtual_database, credential, statement, fingerprint, kind, decision)
      SELECT occurred_at, event_id, agent_id, agent_name, virtual_database, credential, statement, fingerprint, kind, decision
      FROM sql_audit_event ORDER BY occurred_at LIMIT 1000 ON CONFLICT DO NOTHING`);
    expect(resent).toBe(0);
    const after = await t.db.$queryRaw<{ m: bigint }[]>`SELECT sum(total) AS m FROM sql_audit_minute`;
    expect(Number(after[0]!.m)).toBe(ROWS);
  });

  // Ranges are relative to when the rows were made, so they are built inside each test.
  for (const rangeName of RANGE_NAMES) {
    for (const [filterName, filter] of Object.entries(filters)) {
      it(`agree with the raw rows: ${rangeName}, filter ${filterName}`, async () => {
        const f = { ...ranges()[rangeName], ...filter } as SqlAuditFilter;
        const [groups, rawGroups] = await Promise.all([sqlAuditFingerprints(t.db, f), sqlAuditFingerprints(t.db, f, { rollups: false })]);
        expect(round(groups)).toEqual(round(rawGroups));
        const [minutes, rawMinutes] = await Promise.all([sqlAuditPerMinute(t.db, f), sqlAuditPerMinute(t.db, f, { rollups: false })]);
        expect(minutes).toEqual(rawMinutes);
        if (rangeName === "everything" && filterName === "none") {
          expect(minutes.reduce((n, m) => n + m.total, 0)).toBe(ROWS);
          expect(groups.length).toBeGreaterThan(50);
        }
      });
    }
  }

  it("filters the rollups do not carry fall back to the raw rows and still answer", async () => {
    const f = { from: new Date(now - 7 * 3600_000), credential: "app_3" } as SqlAuditFilter;
    const total = (await sqlAuditPerMinute(t.db, f)).reduce((n, m) => n + m.total, 0);
    const rows = await t.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM sql_audit_event WHERE credential = 'app_3'`;
    expect(total).toBe(Number(rows[0]!.n));
  });

  it("retention drops the rollups of expired days with their rows", async () => {
    await t.db.$executeRawUnsafe(`
      INSERT INTO sql_audit_event (occurred_at, event_id, agent_id, agent_name, virtual_database, credential, statement, fingerprint, kind, decision)
      VALUES (now() - interval '40 days', 'old-1', 'a', 'a', 'orders', 'app_1', 'SELECT 1', 'fp-old', 'read', 'allowed')`);
    const count = async () =>
      (await t.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM sql_audit_fingerprint_hour WHERE fingerprint = 'fp-old'`)[0]!.n;
    expect(Number(await count())).toBe(1);
    await t.db.$queryRawUnsafe("SELECT * FROM sql_audit_drop_expired(30)");
    expect(Number(await count())).toBe(0);
    const sums = await t.db.$queryRaw<{ m: bigint }[]>`SELECT sum(total) AS m FROM sql_audit_minute`;
    expect(Number(sums[0]!.m)).toBe(ROWS);
  });
});
