import { storageFor } from "@dbmesh/backup";
import { defineJob } from "../job";
import { requireBackup } from "./backup-helpers";

/** Removes the file of a backup the console deleted (the row is already marked, and audited). */
export const deleteBackupFileJob = defineJob({
  queue: "backup",
  name: "delete-backup-file",
  async handle(ctx) {
    const deps = requireBackup(ctx);
    const run = await ctx.db.backupRun.findUnique({ where: { id: ctx.payload.runId }, include: { plan: true } });
    if (!run?.deletedAt || !run.storageKey) return { removed: false };
    await storageFor(run.plan, deps.storageBaseDir).remove(run.storageKey);
    ctx.log.info({ runId: run.id, key: run.storageKey }, "deleted backup file");
    return { removed: true };
  },
});
