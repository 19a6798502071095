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

/** Nothing to choose: the reveal window is fixed (PASSWORD_REVEAL_WINDOW_HOURS in packages/api). */
export const PurgeUnrevealedPasswordsPayload = z.object({});
export type PurgeUnrevealedPasswordsPayload = z.infer<typeof PurgeUnrevealedPasswordsPayload>;

export const MaintainSqlAuditPartitionsPayload = z.object({
  /** Daily partitions are created this many days ahead, so inserts never miss one. */
  daysAhead: z.number().int().min(1).max(90).default(7),
  /** Whole days older than this are dropped. */
  retentionDays: z.number().int().min(1).max(3650).default(30),
});
export type MaintainSqlAuditPartitionsPayload = z.infer<typeof MaintainSqlAuditPartitionsPayload>;

export const RunChecksPayload = z.object({
  /** The change_version whose SQL is linted and dry-run on every target. */
  versionId: z.string().min(1),
});
export type RunChecksPayload = z.infer<typeof RunChecksPayload>;

export const RunStagePayload = z.object({
  /** The change_stage to apply (or roll back) on its target. */
  stageId: z.string().min(1),
});
export type RunStagePayload = z.infer<typeof RunStagePayload>;

export const DetectDriftPayload = z.object({
  /** Only this endpoint; every endpoint with a schema snapshot when absent. */
  endpointId: z.string().min(1).optional(),
});
export type DetectDriftPayload = z.infer<typeof DetectDriftPayload>;

/** Carries out an approved self-service database request (provision, access grant or decommission). */
export const RunDatabaseRequestPayload = z.object({ requestId: z.string().min(1) });
export type RunDatabaseRequestPayload = z.infer<typeof RunDatabaseRequestPayload>;

/** Drops a decommissioned database once its grace period is over (a delayed job; early when a DBA cuts it short). */
export const DropDecommissionedPayload = z.object({ requestId: z.string().min(1) });
export type DropDecommissionedPayload = z.infer<typeof DropDecommissionedPayload>;

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
    "purge-unrevealed-passwords": PurgeUnrevealedPasswordsPayload,
  },
  backup: { "run-backup": RunBackupPayload, "delete-backup-file": DeleteBackupFilePayload },
  restore: { "verify-backup": VerifyBackupPayload, "run-restore": RunRestorePayload },
  "schema-change": {
    "run-checks": RunChecksPayload,
    "run-stage": RunStagePayload,
    "detect-drift": DetectDriftPayload,
  },
  provision: {
    "run-database-request": RunDatabaseRequestPayload,
    "drop-decommissioned": DropDecommissionedPayload,
  },
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
