import { z } from "zod";
import type { QueueName } from "./queues";

/**
 * The job catalog: for each queue, its job names and their payload schemas. Payloads carry ids
 * and settings, never secrets (they sit in Redis in clear text). Producers and the worker both
 * validate against these.
 */

export const PruneLoginAttemptsPayload = z.object({
  /** Rows older than this are deleted; the login throttle only looks at the last hour or so. */
  maxAgeHours: z.number().int().min(1).max(24 * 365).default(24),
});
export type PruneLoginAttemptsPayload = z.infer<typeof PruneLoginAttemptsPayload>;

export const PruneAgentFetchesPayload = z.object({
  /** The console shows an agent's recent fetches; older rows only cost space. */
  maxAgeHours: z.number().int().min(1).max(24 * 365).default(24),
});
export type PruneAgentFetchesPayload = z.infer<typeof PruneAgentFetchesPayload>;

export const MaintainSqlAuditPartitionsPayload = z.object({
  /** Daily partitions are created this many days ahead, so inserts never miss one. */
  daysAhead: z.number().int().min(1).max(90).default(7),
  /** Whole days older than this are dropped. */
  retentionDays: z.number().int().min(1).max(3650).default(30),
});
export type MaintainSqlAuditPartitionsPayload = z.infer<typeof MaintainSqlAuditPartitionsPayload>;

/** A backup: a scheduled slot of a plan (the worker creates its run once) or a run created by "Run now". */
export const RunBackupPayload = z.union([
  z.object({ runId: z.string().min(1) }),
  z.object({ planId: z.string().min(1) }),
]);
export type RunBackupPayload = z.infer<typeof RunBackupPayload>;

export const DeleteBackupFilePayload = z.object({ runId: z.string().min(1) });
export type DeleteBackupFilePayload = z.infer<typeof DeleteBackupFilePayload>;

export const VerifyBackupPayload = z.object({ runId: z.string().min(1) });
export type VerifyBackupPayload = z.infer<typeof VerifyBackupPayload>;

export const RunRestorePayload = z.object({ restoreId: z.string().min(1) });
export type RunRestorePayload = z.infer<typeof RunRestorePayload>;

export const JOBS = {
  maintenance: {
    "prune-login-attempts": PruneLoginAttemptsPayload,
    "prune-agent-fetches": PruneAgentFetchesPayload,
    "maintain-sql-audit-partitions": MaintainSqlAuditPartitionsPayload,
  },
  backup: { "run-backup": RunBackupPayload, "delete-backup-file": DeleteBackupFilePayload },
  restore: { "verify-backup": VerifyBackupPayload, "run-restore": RunRestorePayload },
  "schema-change": {},
  provision: {},
} as const satisfies Record<QueueName, Record<string, z.ZodType>>;

export type JobName<Q extends QueueName> = keyof (typeof JOBS)[Q] & string;
export type JobPayload<Q extends QueueName, N extends JobName<Q>> =
  (typeof JOBS)[Q][N] extends z.ZodType ? z.input<(typeof JOBS)[Q][N]> : never;

/** The schema of one job, or undefined when the queue has no job of that name. */
export function jobSchema(queue: QueueName, name: string): z.ZodType | undefined {
  const jobs: Record<string, z.ZodType> = JOBS[queue];
  return Object.hasOwn(jobs, name) ? jobs[name] : undefined;
}
/** The payload a handler receives: the schema's output, defaults filled in. */
export type JobData<Q extends QueueName, N extends JobName<Q>> =
  (typeof JOBS)[Q][N] extends z.ZodType ? z.output<(typeof JOBS)[Q][N]> : never;
