import { z } from "zod";

const LogLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

const WorkerEnv = z.object({
  DATABASE_URL: z.string().min(1).default("postgresql://postgres@127.0.0.1:5432/dbmesh"),
  REDIS_URL: z.string().min(1).default("redis://127.0.0.1:6379"),
  /** Base of the BullMQ key prefix; the worker and the web app must agree on it. */
  DBMESH_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.' and '-' only").default("dbmesh"),
  /** Jobs run at once per queue. */
  DBMESH_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  LOG_LEVEL: LogLevel.default("info"),
  /** The console's key: decrypts endpoint passwords for pg_dump, dry runs, rollouts and provisioning (those jobs fail saying so without it). */
  DBMESH_SECRET_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, "DBMESH_SECRET_KEY must be 64 hex characters (32 bytes)").optional(),
  /** How long a job's lock lasts before another worker takes over a crashed job (BullMQ lockDuration). */
  DBMESH_WORKER_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** Crash tests only: a provision job sleeps after this step, so the test can kill the worker mid-job. */
  DBMESH_PROVISION_PAUSE_AFTER_STEP: z.string().min(1).optional(),
  // --- backups (see README) ---
  /** Relative storage paths of backup plans are resolved against this directory. */
  DBMESH_BACKUP_ROOT: z.string().min(1).default(process.cwd()),
  /** Directory of pg_dump/pg_restore; empty = PATH. */
  DBMESH_PG_BIN_DIR: z.string().optional(),
  /** BullMQ lock of backup and restore jobs; a job whose lock lapses is taken over by another worker. */
  DBMESH_BACKUP_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  DBMESH_BACKUP_HEARTBEAT_MS: z.coerce.number().int().min(100).default(5_000),
  /** Backups, verifications and restores at once against one endpoint. */
  DBMESH_BACKUP_PER_ENDPOINT: z.coerce.number().int().min(1).max(32).default(1),
  /** pg_restore --jobs. */
  DBMESH_RESTORE_JOBS: z.coerce.number().int().min(1).max(16).default(2),
});
export type WorkerEnv = z.infer<typeof WorkerEnv>;

/** Parsed once at boot; a bad variable fails with a message that names it. */
export function parseWorkerEnv(source: Record<string, string | undefined>): WorkerEnv {
  const parsed = WorkerEnv.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`dbmesh worker configuration is invalid:\n  ${lines.join("\n  ")}`);
  }
  return parsed.data;
}
