import type { Queue } from "bullmq";

/**
 * Backup plans as BullMQ job schedulers, one per plan, keyed by the plan's id. The console updates
 * them when a plan changes; the worker re-syncs them all from Postgres at start (and now and then),
 * so Redis can never keep a schedule the database no longer has.
 */
export const BACKUP_SCHEDULER_PREFIX = "backup-plan-";

export function backupSchedulerId(planId: string): string {
  return `${BACKUP_SCHEDULER_PREFIX}${planId}`;
}

export interface ScheduledPlan {
  id: string;
  cron: string;
  timezone: string;
  paused: boolean;
  maxAttempts: number;
}

/** Job options of every backup job of a plan: BullMQ retries failures with backoff up to the plan's attempts. */
export function backupJobOptions(plan: Pick<ScheduledPlan, "maxAttempts">) {
  return { attempts: plan.maxAttempts, backoff: { type: "exponential" as const, delay: 15_000 }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } };
}

export async function upsertBackupSchedule(queue: Queue, plan: ScheduledPlan): Promise<void> {
  if (plan.paused) {
    await queue.removeJobScheduler(backupSchedulerId(plan.id));
    return;
  }
  await queue.upsertJobScheduler(
    backupSchedulerId(plan.id),
    { pattern: plan.cron, tz: plan.timezone },
    { name: "run-backup", data: { planId: plan.id }, opts: backupJobOptions(plan) },
  );
}

export async function removeBackupSchedule(queue: Queue, planId: string): Promise<void> {
  await queue.removeJobScheduler(backupSchedulerId(planId));
}

/** Makes Redis hold exactly the schedulers of these plans (paused ones removed). */
export async function syncBackupSchedules(queue: Queue, plans: ScheduledPlan[]): Promise<{ upserted: number; removed: number }> {
  const wanted = new Set(plans.filter((p) => !p.paused).map((p) => backupSchedulerId(p.id)));
  let removed = 0;
  const existing = await queue.getJobSchedulers(0, -1);
  for (const s of existing) {
    const id = s.key ?? s.id;
    if (id && id.startsWith(BACKUP_SCHEDULER_PREFIX) && !wanted.has(id)) {
      await queue.removeJobScheduler(id);
      removed++;
    }
  }
  for (const p of plans) await upsertBackupSchedule(queue, p);
  return { upserted: wanted.size, removed };
}

/** The scheduled time of a job a scheduler produced (its id is "repeat:<scheduler>:<ms>"). */
export function scheduledMillisOf(job: { id?: string; opts: { prevMillis?: number }; timestamp: number }): number {
  const m = /^repeat:.*:(\d+)$/.exec(job.id ?? "");
  if (m) return Number(m[1]);
  return job.opts.prevMillis ?? job.timestamp;
}
