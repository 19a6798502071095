// Applies a plan's retention: marks the victims deleted (with an audit row each) in one
// transaction, then removes their files. A file whose removal fails is logged; its row already says
// it is gone, so nobody restores from it.
import type { Db } from "@dbmesh/db";
import { retentionVictims } from "./retention";
import { systemAudit, type Log } from "./runs";
import { storageFor } from "./storage";

export async function applyRetention(deps: { db: Db; storageBaseDir: string; log: Log }, planId: string, now = new Date()): Promise<string[]> {
  const { db, log } = deps;
  const plan = await db.backupPlan.findUnique({ where: { id: planId } });
  if (!plan || (plan.retentionKeep === null && plan.retentionDays === null)) return [];
  const deleted = await db.$transaction(async (tx) => {
    // One retention pass per plan at a time.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`dbmesh-retention:${planId}`}))`;
    const live = await tx.backupRun.findMany({
      where: { planId, status: "SUCCEEDED", deletedAt: null, storageKey: { not: null } },
      select: { id: true, finishedAt: true, verifiedAt: true, storageKey: true },
    });
    const victims = retentionVictims(
      live.map((r) => ({ id: r.id, finishedAt: r.finishedAt ?? new Date(0), verifiedAt: r.verifiedAt })),
      { keep: plan.retentionKeep, days: plan.retentionDays },
      now,
    );
    const out: { id: string; key: string }[] = [];
    for (const id of victims) {
      const run = live.find((r) => r.id === id);
      if (!run?.storageKey) continue;
      await tx.backupRun.update({ where: { id }, data: { deletedAt: now } });
      await systemAudit(tx, {
        action: "backup.deleted_by_retention",
        objectType: "backup_run",
        objectId: id,
        objectName: plan.name,
        after: { key: run.storageKey, keep: plan.retentionKeep, days: plan.retentionDays },
      });
      out.push({ id, key: run.storageKey });
    }
    return out;
  });
  const storage = storageFor(plan, deps.storageBaseDir);
  for (const d of deleted) {
    await storage.remove(d.key).catch((err: unknown) => log.warn({ err, runId: d.id, key: d.key }, "could not remove a backup file retention deleted"));
  }
  if (deleted.length) log.info({ planId, deleted: deleted.map((d) => d.id) }, "retention deleted backups");
  return deleted.map((d) => d.id);
}
