// The worker's side of backups: settings, the dependencies the jobs use, the BullMQ options of the
// backup and restore queues, and the periodic upkeep (schedulers re-synced from Postgres, runs of
// dead workers picked up again).
import { hostname } from "node:os";
import { decryptSecret } from "@dbmesh/api/secret-box";
import type { BackupDeps } from "@dbmesh/backup";
import type { Db } from "@dbmesh/db";
import { backupJobOptions, syncBackupSchedules } from "@dbmesh/queue";
import type { Queue, WorkerOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

export interface BackupSettings {
  secretKey?: string;
  /** Base of relative storage paths. */
  root: string;
  binDir?: string;
  lockMs: number;
  heartbeatMs: number;
  perEndpoint: number;
  restoreJobs: number;
  /** Upkeep period (scheduler re-sync, dead-run pickup). */
  upkeepMs?: number;
}

export const DEFAULT_BACKUP_SETTINGS: BackupSettings = {
  root: process.cwd(),
  lockMs: 30_000,
  heartbeatMs: 5_000,
  perEndpoint: 1,
  restoreJobs: 2,
};

/** A run whose heartbeat is older than this is held by a dead (or frozen) worker. */
export function staleAfterMs(s: BackupSettings): number {
  return Math.max(3 * s.heartbeatMs, 2 * s.lockMs);
}

/**
 * Backup and restore jobs hold their BullMQ lock for `lockMs` (renewed at half of it); a worker
 * that dies or freezes loses it, and the stalled check (every `lockMs`) hands the job to another
 * worker. The plan's attempts, counted on the run row, decide when to give up, so BullMQ's own
 * stalled limit is set high enough never to decide first.
 */
export function backupWorkerOptions(s: BackupSettings): Partial<WorkerOptions> {
  return { lockDuration: s.lockMs, stalledInterval: s.lockMs, maxStalledCount: 50 };
}

export function createBackupDeps(db: Db, log: Logger, s: BackupSettings, restoreQueue: Queue): BackupDeps {
  return {
    db,
    log,
    decrypt: (box) => {
      if (!s.secretKey) throw new Error("DBMESH_SECRET_KEY is not set: the worker cannot decrypt endpoint passwords (use the console's key)");
      return decryptSecret(box, s.secretKey);
    },
    storageBaseDir: s.root,
    binDir: s.binDir,
    workerName: `${hostname()}:${process.pid}`,
    heartbeatMs: s.heartbeatMs,
    staleAfterMs: staleAfterMs(s),
    perEndpointLimit: s.perEndpoint,
    restoreJobs: s.restoreJobs,
    async enqueueVerify(runId) {
      await restoreQueue.add("verify-backup", { runId }, { jobId: `verify-${runId}`, attempts: 3, backoff: { type: "exponential", delay: 15_000 } });
    },
  };
}

/** BullMQ loses jobs if Redis evicts keys: say so loudly at start (the worker still runs). */
export async function checkEvictionPolicy(redis: Redis, log: Logger): Promise<string | null> {
  try {
    const reply = (await redis.config("GET", "maxmemory-policy")) as string[];
    const policy = reply[1] ?? "unknown";
    if (policy !== "noeviction") {
      log.warn({ policy }, `Redis maxmemory-policy is "${policy}": BullMQ needs "noeviction", or Redis may drop queued backup jobs under memory pressure (CONFIG SET maxmemory-policy noeviction)`);
    }
    return policy;
  } catch (err) {
    log.warn({ err }, "could not read Redis maxmemory-policy (CONFIG GET refused?): make sure it is noeviction");
    return null;
  }
}

/** Re-syncs the plans' job schedulers from Postgres and re-queues runs whose worker died. */
export async function backupUpkeep(db: Db, queues: { backup: Queue; restore: Queue }, s: BackupSettings, log: Logger): Promise<void> {
  const plans = await db.backupPlan.findMany({ select: { id: true, cron: true, timezone: true, paused: true, maxAttempts: true } });
  const synced = await syncBackupSchedules(queues.backup, plans);
  log.debug(synced, "backup schedulers synced");

  // Well past the stalled check: BullMQ hands a dead worker's job on by itself; this only catches
  // runs whose job is gone (failed for good, lost in Redis).
  const stale = new Date(Date.now() - 5 * staleAfterMs(s));
  const deadRuns = await db.backupRun.findMany({
    where: { status: { in: ["RUNNING", "VERIFYING"] }, heartbeatAt: { lt: stale } },
    include: { plan: { select: { maxAttempts: true } } },
    take: 100,
  });
  for (const r of deadRuns) {
    // A new job id per attempt: BullMQ keeps finished jobs, and would ignore a reused id.
    if (r.status === "RUNNING") {
      await queues.backup.add("run-backup", { runId: r.id }, { ...backupJobOptions(r.plan), jobId: `${r.id}-pickup-${r.attempt}` });
    } else {
      await queues.restore.add("verify-backup", { runId: r.id }, { jobId: `verify-${r.id}-pickup-${Math.floor(r.heartbeatAt!.getTime() / 1000)}`, attempts: 3 });
    }
  }
  const deadRestores = await db.restoreRun.findMany({ where: { status: "RUNNING", heartbeatAt: { lt: stale } }, take: 100 });
  for (const r of deadRestores) {
    await queues.restore.add("run-restore", { restoreId: r.id }, { jobId: `${r.id}-pickup-${r.attempt}`, attempts: 3 });
  }
  if (deadRuns.length + deadRestores.length > 0) {
    log.warn({ runs: deadRuns.map((r) => r.id), restores: deadRestores.map((r) => r.id) }, "re-queued backup work whose worker stopped heart-beating");
  }
}
