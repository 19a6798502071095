import { failBackupRunForGood, performVerify } from "@dbmesh/backup";
import { DelayedError } from "bullmq";
import { defineJob } from "../job";
import { delayWhileBusy, isLastAttempt, requireBackup } from "./backup-helpers";

/** Verification of a finished dump: checksum, then pg_restore --list or a full scratch restore. */
export const verifyBackupJob = defineJob({
  queue: "restore",
  name: "verify-backup",
  async handle(ctx) {
    const deps = requireBackup(ctx);
    try {
      const out = await performVerify(deps, ctx.payload.runId);
      if (out.kind === "busy") {
        await delayWhileBusy(ctx, out.reason);
        throw new DelayedError();
      }
      return out;
    } catch (err) {
      if (!(err instanceof DelayedError) && isLastAttempt(ctx.job)) {
        await failBackupRunForGood(ctx.db, ctx.payload.runId, `verification could not run: ${(err as Error).message}`);
      }
      throw err;
    }
  },
});
