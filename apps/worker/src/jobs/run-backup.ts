import { ensureScheduledRun, failBackupRunForGood, performBackup } from "@dbmesh/backup";
import { scheduledMillisOf } from "@dbmesh/queue";
import { DelayedError, UnrecoverableError } from "bullmq";
import { defineJob } from "../job";
import { delayWhileBusy, isLastAttempt, requireBackup } from "./backup-helpers";

/**
 * One backup. A scheduled job carries the plan and its slot (the time BullMQ scheduled it for) and
 * creates the slot's run once; "Run now" carries the run it created. The work itself, fenced and
 * idempotent, is packages/backup's performBackup.
 */
export const runBackupJob = defineJob({
  queue: "backup",
  name: "run-backup",
  async handle(ctx) {
    const { payload, job, db, log } = ctx;
    const deps = requireBackup(ctx);
    const runId = "runId" in payload ? payload.runId : await ensureScheduledRun(db, payload.planId, scheduledMillisOf(job));
    if (!runId) {
      log.info({ planId: "planId" in payload ? payload.planId : undefined }, "plan is paused or gone: scheduled backup skipped");
      return { skipped: true };
    }
    const out = await performBackup(deps, runId);
    switch (out.kind) {
      case "busy":
        await delayWhileBusy(ctx, out.reason);
        throw new DelayedError();
      case "retry":
        if (isLastAttempt(job)) {
          await failBackupRunForGood(db, runId, out.error);
          throw new UnrecoverableError(out.error);
        }
        throw new Error(out.error);
      case "failed":
        throw new UnrecoverableError(out.error);
      default:
        return { runId, ...out };
    }
  },
});
