import type { BackupDeps } from "@dbmesh/backup";
import type { Job } from "bullmq";
import { UnrecoverableError } from "bullmq";
import type { JobContext } from "../job";

export function requireBackup(ctx: JobContext<unknown>): BackupDeps {
  if (!ctx.backup) throw new UnrecoverableError("this worker was started without backup settings");
  return ctx.backup;
}

/** The endpoint already runs its share of backups and restores: come back in a few seconds. */
export async function delayWhileBusy(ctx: JobContext<unknown>, reason: string): Promise<void> {
  ctx.log.info({ reason }, "endpoint busy: backup work delayed");
  await ctx.job.moveToDelayed(Date.now() + 3_000 + Math.floor(Math.random() * 2_000), ctx.token);
}

export function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
