// Retention on a real database and real files: exactly the victims' files go, their rows say so,
// each deletion is audited, and the newest verified backup stays whatever the policy.
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@dbmesh/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyRetention } from "./retention-apply";
import { LocalDirectoryStorage } from "./storage";

const DAY = 24 * 60 * 60 * 1000;
const silent = { info() {}, warn() {}, error() {} };

describe("applyRetention", () => {
  let t: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), "dbmesh-retention-"));
    const env = await t.db.environment.create({ data: { id: "env_r", name: "r" } });
    await t.db.databaseEndpoint.create({ data: { id: "ep_r", name: "r", environmentId: env.id, host: "127.0.0.1", port: 5432, database: "x", username: "postgres" } });
  });
  afterAll(async () => {
    await t?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  async function planWithBackups(id: string, retention: { keep?: number; days?: number }, backups: { daysAgo: number; verified: boolean; status?: "SUCCEEDED" | "FAILED" }[]) {
    await t.db.backupPlan.create({ data: { id, name: id, endpointId: "ep_r", cron: "0 3 * * *", storagePath: id, retentionKeep: retention.keep ?? null, retentionDays: retention.days ?? null } });
    await mkdir(join(dir, id, id), { recursive: true });
    const now = Date.now();
    for (const [i, b] of backups.entries()) {
      const key = `${id}/run${i}.dump`;
      const finishedAt = new Date(now - b.daysAgo * DAY);
      await writeFile(join(dir, id, key), `backup ${i}`);
      await t.db.backupRun.create({
        data: {
          id: `${id}_run${i}`,
          planId: id,
          slot: `manual:${i}`,
          trigger: "manual",
          status: b.status ?? "SUCCEEDED",
          storageKey: b.status === "FAILED" ? null : key,
          sha256: "x",
          finishedAt,
          verifiedAt: b.verified ? finishedAt : null,
        },
      });
    }
  }

  it("keep 2: deletes the older backups' files and rows, audits each, keeps the newest verified one", async () => {
    await planWithBackups("keep2", { keep: 2 }, [
      { daysAgo: 1, verified: false },
      { daysAgo: 2, verified: false },
      { daysAgo: 3, verified: true }, // newest verified: stays although third
      { daysAgo: 4, verified: true },
      { daysAgo: 5, verified: false },
      { daysAgo: 6, verified: false, status: "FAILED" }, // no file; never counted
    ]);
    const deleted = await applyRetention({ db: t.db, storageBaseDir: dir, log: silent }, "keep2");
    expect(deleted.sort()).toEqual(["keep2_run3", "keep2_run4"]);
    const storage = new LocalDirectoryStorage("keep2", dir);
    expect(await storage.list()).toEqual(["keep2/run0.dump", "keep2/run1.dump", "keep2/run2.dump", "keep2/run5.dump"]);
    const marked = await t.db.backupRun.findMany({ where: { planId: "keep2", deletedAt: { not: null } }, orderBy: { id: "asc" } });
    expect(marked.map((r) => r.id)).toEqual(["keep2_run3", "keep2_run4"]);
    const audits = await t.db.auditEvent.findMany({ where: { action: "backup.deleted_by_retention", objectName: "keep2" }, orderBy: { objectId: "asc" } });
    expect(audits.map((a) => a.objectId)).toEqual(["keep2_run3", "keep2_run4"]);
    // A second pass deletes nothing more.
    expect(await applyRetention({ db: t.db, storageBaseDir: dir, log: silent }, "keep2")).toEqual([]);
  });

  it("7 days: deletes older than 7 days but never the newest verified, even when it is that old", async () => {
    await planWithBackups("days7", { days: 7 }, [
      { daysAgo: 1, verified: false },
      { daysAgo: 8, verified: true },
      { daysAgo: 9, verified: true },
      { daysAgo: 10, verified: false },
    ]);
    const deleted = await applyRetention({ db: t.db, storageBaseDir: dir, log: silent }, "days7");
    expect(deleted.sort()).toEqual(["days7_run2", "days7_run3"]);
    expect(await new LocalDirectoryStorage("days7", dir).list()).toEqual(["days7/run0.dump", "days7/run1.dump"]);
  });

  it("without a policy nothing is deleted", async () => {
    await planWithBackups("none", {}, [{ daysAgo: 100, verified: false }, { daysAgo: 200, verified: false }]);
    expect(await applyRetention({ db: t.db, storageBaseDir: dir, log: silent }, "none")).toEqual([]);
    expect(await new LocalDirectoryStorage("none", dir).list()).toHaveLength(2);
  });
});
