import { createDb } from "@dbmesh/db";
import { pino } from "pino";
import { parseWorkerEnv, type WorkerEnv } from "./env";
import { startWorkers } from "./worker";

let env: WorkerEnv;
try {
  env = parseWorkerEnv(process.env);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}

const log = pino({
  name: "dbmesh-worker",
  level: env.LOG_LEVEL,
  redact: { paths: ["password", "*.password", "connectionString", "*.connectionString"], censor: "[redacted]" },
});

const db = createDb(env.DATABASE_URL, { max: Math.max(2, env.DBMESH_WORKER_CONCURRENCY) });

let running: Awaited<ReturnType<typeof startWorkers>>;
try {
  running = await startWorkers({
    db,
    redisUrl: env.REDIS_URL,
    prefixBase: env.DBMESH_QUEUE_PREFIX,
    concurrency: env.DBMESH_WORKER_CONCURRENCY,
    log,
    secretKey: env.DBMESH_SECRET_KEY ?? null,
    lockDurationMs: env.DBMESH_WORKER_LOCK_MS,
    provisionPauseAfterStep: env.DBMESH_PROVISION_PAUSE_AFTER_STEP ?? null,
    backup: {
      secretKey: env.DBMESH_SECRET_KEY,
      root: env.DBMESH_BACKUP_ROOT,
      binDir: env.DBMESH_PG_BIN_DIR,
      lockMs: env.DBMESH_BACKUP_LOCK_MS,
      heartbeatMs: env.DBMESH_BACKUP_HEARTBEAT_MS,
      perEndpoint: env.DBMESH_BACKUP_PER_ENDPOINT,
      restoreJobs: env.DBMESH_RESTORE_JOBS,
    },
  });
} catch (err) {
  log.fatal({ err }, `worker could not start: ${err instanceof Error ? err.message : String(err)}`);
  await db.$disconnect().catch(() => {});
  process.exit(1);
}
log.info({ queues: [...running.queues.keys()], concurrency: env.DBMESH_WORKER_CONCURRENCY }, "worker started");

let stoppingSince: number | undefined;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stoppingSince !== undefined) {
    // Ctrl-C reaches every process of the terminal's group and supervisors (npm, start.sh)
    // forward it too: a repeat within moments is the same request, not an impatient second one.
    if (Date.now() - stoppingSince < 3_000) return;
    log.warn({ signal }, "second signal: exiting without waiting for active jobs");
    process.exit(1);
  }
  stoppingSince = Date.now();
  log.info({ signal }, "stopping: waiting for active jobs to finish");
  try {
    await running.close();
    await db.$disconnect();
    log.info("worker stopped");
    process.exit(0);
  } catch (err) {
    log.error({ err }, "worker did not stop cleanly");
    process.exit(1);
  }
}
process.on("SIGINT", (s) => void shutdown(s));
process.on("SIGTERM", (s) => void shutdown(s));
