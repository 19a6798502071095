import type { Db } from "@dbmesh/db";
import { createRedis, jobSchema, queuePrefix, waitForRedis, type QueueName } from "@dbmesh/queue";
import { Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import type { Logger } from "pino";
import { z } from "zod";
import type { JobContext, JobSettings } from "./job";
import { dropDecommissioned } from "./jobs/drop-decommissioned";
import { runDatabaseRequestJob } from "./jobs/run-database-request";
import { maintainSqlAuditPartitions } from "./jobs/maintain-sql-audit-partitions";
import { pruneAgentFetches } from "./jobs/prune-agent-fetches";
import { pruneLoginAttempts } from "./jobs/prune-login-attempts";
import { purgeUnrevealedPasswords } from "./jobs/purge-unrevealed-passwords";
import { detectDriftJob, runChecksJob, runStageJob } from "./jobs/schema-change";
import { deleteBackupFileJob } from "./jobs/delete-backup-file";
import { runBackupJob } from "./jobs/run-backup";
import { runRestoreJob } from "./jobs/run-restore";
import { verifyBackupJob } from "./jobs/verify-backup";
import type { BackupDeps } from "@dbmesh/backup";
import { backupUpkeep, backupWorkerOptions, checkEvictionPolicy, createBackupDeps, DEFAULT_BACKUP_SETTINGS, type BackupSettings } from "./backup/runtime";
import { createFinalBackupHook } from "./backup/final-backup";
import { decryptSecret } from "@dbmesh/api/secret-box";
import { registerFinalBackupHook } from "@dbmesh/api/self-service";

/** What the worker runs; a job reaches here only through defineJob, so name and queue match the catalog. */
interface RegisteredJob {
  queue: QueueName;
  name: string;
  handle(ctx: JobContext<unknown>): Promise<unknown>;
  onGiveUp?(ctx: Omit<JobContext<unknown>, "job"> & { error: Error }): Promise<void>;
}

export const JOBS_RUN_HERE: RegisteredJob[] = [
  pruneLoginAttempts,
  pruneAgentFetches,
  maintainSqlAuditPartitions,
  purgeUnrevealedPasswords,
  runChecksJob,
  runStageJob,
  detectDriftJob,
  runDatabaseRequestJob,
  dropDecommissioned,
  runBackupJob,
  verifyBackupJob,
  runRestoreJob,
  deleteBackupFileJob,
];

interface Schedule {
  id: string;
  queue: QueueName;
  everyMs: number;
  job: string;
  data: Record<string, unknown>;
}

/** Job schedulers (BullMQ's replacement for repeatable jobs): upserting by id makes a restart harmless. */
export const SCHEDULES: Schedule[] = [
  {
    id: "prune-login-attempts-hourly",
    queue: "maintenance",
    everyMs: 60 * 60 * 1000,
    job: "prune-login-attempts",
    data: { maxAgeHours: 24 },
  },
  {
    id: "prune-agent-fetches-hourly",
    queue: "maintenance",
    everyMs: 60 * 60 * 1000,
    job: "prune-agent-fetches",
    data: { maxAgeHours: 24 },
  },
  {
    id: "maintain-sql-audit-partitions-hourly",
    queue: "maintenance",
    everyMs: 60 * 60 * 1000,
    job: "maintain-sql-audit-partitions",
    data: { daysAhead: 7, retentionDays: 30 },
  },
  {
    id: "purge-unrevealed-passwords-hourly",
    queue: "maintenance",
    everyMs: 60 * 60 * 1000,
    job: "purge-unrevealed-passwords",
    data: {},
  },
  {
    // Compares every target's live schema with the snapshot taken after its last change.
    id: "detect-schema-drift",
    queue: "schema-change",
    everyMs: 5 * 60 * 1000,
    job: "detect-drift",
    data: {},
  },
];

export interface StartWorkersOptions {
  db: Db;
  redisUrl: string;
  /** Base of the key prefix (tests use their own, so runs never see each other's jobs). */
  prefixBase?: string;
  concurrency?: number;
  log: Logger;
  jobs?: RegisteredJob[];
  /** Decrypts endpoint passwords for provisioning. */
  secretKey?: string | null;
  /** BullMQ lockDuration: a crashed job is taken over after about this long. */
  lockDurationMs?: number;
  provisionPauseAfterStep?: string | null;
  /** Backup and restore settings (lock duration, storage root, secret key …). */
  backup?: Partial<BackupSettings>;
}

export interface RunningWorkers {
  queues: ReadonlyMap<QueueName, Queue>;
  workers: readonly Worker[];
  /** Stops taking jobs, waits for the active ones, then closes Redis. The caller owns `db`. */
  close(): Promise<void>;
}

export async function startWorkers(opts: StartWorkersOptions): Promise<RunningWorkers> {
  const { db, log } = opts;
  const prefix = queuePrefix(opts.prefixBase);
  const jobs = opts.jobs ?? JOBS_RUN_HERE;
  const settings: JobSettings = {
    secretKey: opts.secretKey ?? null,
    redisUrl: opts.redisUrl,
    queuePrefixBase: opts.prefixBase ?? "dbmesh",
    provisionPauseAfterStep: opts.provisionPauseAfterStep ?? null,
  };
  const producer = createRedis(opts.redisUrl, { forWorker: false });
  const consumer = createRedis(opts.redisUrl, { forWorker: true });
  const queues = new Map<QueueName, Queue>();
  const workers: Worker[] = [];

  const backupSettings: BackupSettings = { ...DEFAULT_BACKUP_SETTINGS, ...opts.backup };
  let backupDeps: BackupDeps | undefined;
  let upkeepTimer: NodeJS.Timeout | undefined;

  const close = async () => {
    clearInterval(upkeepTimer);
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all([...queues.values()].map((q) => q.close()));
    await Promise.all([producer.quit().catch(() => producer.disconnect()), consumer.quit().catch(() => consumer.disconnect())]);
  };

  const queueOf = (name: QueueName): Queue => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: producer, prefix });
      queue.on("error", (err) => log.error({ err, queue: name }, "queue connection error"));
      queues.set(name, queue);
    }
    return queue;
  };

  try {
    await Promise.all([waitForRedis(producer, opts.redisUrl), waitForRedis(consumer, opts.redisUrl)]);
    const byQueue = new Map<QueueName, Map<string, RegisteredJob>>();
    for (const job of jobs) {
      const defs = byQueue.get(job.queue) ?? new Map<string, RegisteredJob>();
      defs.set(job.name, job);
      byQueue.set(job.queue, defs);
    }

    const runsBackups = byQueue.has("backup") || byQueue.has("restore");
    if (runsBackups) {
      await checkEvictionPolicy(producer, log);
      backupDeps = createBackupDeps(db, log, backupSettings, queueOf("restore"));
    }
    if (byQueue.has("provision")) {
      // A decommission dumps the database into backup storage before it is dropped.
      const secretKey = backupSettings.secretKey ?? settings.secretKey;
      registerFinalBackupHook(
        createFinalBackupHook(db, backupSettings, (box) => {
          if (!secretKey) throw new Error("DBMESH_SECRET_KEY is not set: the worker cannot decrypt endpoint passwords (use the console's key)");
          return decryptSecret(box, secretKey);
        }),
      );
    }

    for (const [queueName, defs] of byQueue) {
      queueOf(queueName);
      const isBackupQueue = queueName === "backup" || queueName === "restore";
      const worker = new Worker(queueName, (job, token) => runJob(queueName, defs, job, { db, log, settings, token, backup: backupDeps }), {
        connection: consumer,
        prefix,
        ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs, stalledInterval: opts.lockDurationMs } : {}),
        concurrency: opts.concurrency ?? 2,
        removeOnComplete: { count: 1000 },
        removeOnFail: { count: 5000 },
        ...(isBackupQueue ? backupWorkerOptions(backupSettings) : {}),
      });
      worker.on("error", (err) => log.error({ err, queue: queueName }, "worker error"));
      worker.on("failed", (job, err) => {
        log.error({ err, queue: queueName, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade }, "job failed");
        const def = job ? defs.get(job.name) : undefined;
        const givenUp = job && (job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled more than allowable limit/.test(err.message));
        const payload = job ? jobSchema(queueName, job.name)?.safeParse(job.data) : undefined;
        if (def?.onGiveUp && givenUp && payload?.success) {
          const jobLog = log.child({ queue: queueName, job: job.name, jobId: job.id });
          def.onGiveUp({ payload: payload.data, log: jobLog, db, settings, error: err }).catch((e: unknown) => jobLog.error({ err: e }, "could not record the job's failure"));
        }
      });
      workers.push(worker);
    }

    for (const s of SCHEDULES) {
      await queueOf(s.queue).upsertJobScheduler(
        s.id,
        { every: s.everyMs },
        { name: s.job, data: s.data, opts: { attempts: 3, backoff: { type: "exponential", delay: 10_000 } } },
      );
    }

    if (runsBackups) {
      // Backup plans' schedulers come from Postgres, re-synced at start and then now and then.
      const upkeep = () => backupUpkeep(db, { backup: queueOf("backup"), restore: queueOf("restore") }, backupSettings, log);
      await upkeep();
      upkeepTimer = setInterval(() => void upkeep().catch((err: unknown) => log.error({ err }, "backup upkeep failed")), backupSettings.upkeepMs ?? 60_000);
    }
  } catch (err) {
    await close().catch(() => {});
    producer.disconnect();
    consumer.disconnect();
    throw err;
  }

  return { queues, workers, close };
}

async function runJob(
  queueName: QueueName,
  defs: ReadonlyMap<string, RegisteredJob>,
  job: Job,
  deps: { db: Db; log: Logger; settings: JobSettings; token?: string; backup?: BackupDeps },
): Promise<unknown> {
  const def = defs.get(job.name);
  const schema = jobSchema(queueName, job.name);
  if (!def || !schema) throw new UnrecoverableError(`queue ${queueName} has no job named "${job.name}"`);
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) {
    // Retrying cannot fix a payload: fail for good, with the reason.
    throw new UnrecoverableError(`invalid payload for ${job.name}: ${z.prettifyError(parsed.error)}`);
  }
  const log = deps.log.child({ queue: queueName, job: job.name, jobId: job.id, attempt: job.attemptsMade + 1 });
  const started = Date.now();
  log.debug("job started");
  const result = await def.handle({ payload: parsed.data, job, log, db: deps.db, settings: deps.settings, token: deps.token, backup: deps.backup });
  log.info({ ms: Date.now() - started }, "job done");
  return result;
}
