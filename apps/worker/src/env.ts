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
  /** Decrypts endpoint passwords for provisioning; the web app's key. Without it provision jobs fail with that reason. */
  DBMESH_SECRET_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, "DBMESH_SECRET_KEY must be 64 hex characters (32 bytes)").optional(),
  /** How long a job's lock lasts before another worker takes over a crashed job (BullMQ lockDuration). */
  DBMESH_WORKER_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** Crash tests only: a provision job sleeps after this step, so the test can kill the worker mid-job. */
  DBMESH_PROVISION_PAUSE_AFTER_STEP: z.string().min(1).optional(),
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
