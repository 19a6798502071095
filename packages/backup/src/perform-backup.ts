// The backup job's work, shared by the worker (and exercised by the tests): claim the run, dump
// into the plan's storage with a heartbeat, move the file into place and record the outcome in one
// fenced transaction, then hand over to verification or apply retention.
import type { Db } from "@dbmesh/db";
import { DumpError, dumpToStorage } from "./dump";
import { LogTail, type PgToolsOptions } from "./pg-tools";
import { applyRetention } from "./retention-apply";
import {
  claimBackupRun,
  failBackupAttempt,
  heartbeatBackupRun,
  lockBackupAttempt,
  Superseded,
  systemAudit,
  type Log,
} from "./runs";
import { planSource, SourceError, type Decrypt } from "./source";
import { storageFor } from "./storage";

export interface BackupDeps extends PgToolsOptions {
  db: Db;
  decrypt: Decrypt;
  /** Relative storage paths are resolved against this directory. */
  storageBaseDir: string;
  /** This process, as the run's `worker` ("host:pid"). */
  workerName: string;
  heartbeatMs: number;
  /** A heartbeat older than this belongs to a dead worker. */
  staleAfterMs: number;
  /** Backups, verifications and restores at once per endpoint. */
  perEndpointLimit: number;
  restoreJobs: number;
  log: Log;
  /** Queues the verification job of a run (idempotent: keyed by the run). */
  enqueueVerify(runId: string): Promise<void>;
}

export type BackupOutcome =
  | { kind: "succeeded"; sha256: string; sizeBytes: number }
  | { kind: "verifying" }
  | { kind: "busy"; reason: string }
  | { kind: "already"; status: string }
  | { kind: "failed"; error: string }
  | { kind: "retry"; error: string }
  | { kind: "superseded" };

/** The file of a run: stable across attempts, readable in a directory listing. */
export function backupKey(plan: { id: string }, run: { id: string; queuedAt: Date }): string {
  const stamp = run.queuedAt.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${plan.id}/${stamp}-${run.id}.dump`;
}

export async function performBackup(deps: BackupDeps, runId: string): Promise<BackupOutcome> {
  const { db, log } = deps;
  const run = await db.backupRun.findUnique({ where: { id: runId }, include: { plan: true } });
  if (!run) return { kind: "already", status: "MISSING" };
  if (run.status === "VERIFYING") {
    // The dump is done; a lost enqueue of the verification is repaired here.
    await deps.enqueueVerify(runId);
    return { kind: "verifying" };
  }
  if (run.status !== "QUEUED" && run.status !== "RUNNING") return { kind: "already", status: run.status };
  const plan = run.plan;

  let source;
  try {
    source = await planSource(db, plan, deps.decrypt);
  } catch (err) {
    if (!(err instanceof SourceError)) throw err;
    // Claim first so that the failure is recorded under a proper attempt.
    const claim = await claimBackupRun(db, runId, { endpointId: plan.endpointId ?? "none", database: plan.database ?? "", worker: deps.workerName, limit: Infinity, staleAfterMs: deps.staleAfterMs });
    if (claim.kind !== "claimed") return claim.kind === "busy" ? claim : { kind: "already", status: claim.kind };
    await failBackupAttempt(db, runId, claim.attempt, err.message, "", true);
    return { kind: "failed", error: err.message };
  }

  const claim = await claimBackupRun(db, runId, {
    endpointId: source.endpointId,
    database: source.conn.database,
    worker: deps.workerName,
    limit: deps.perEndpointLimit,
    staleAfterMs: deps.staleAfterMs,
  });
  if (claim.kind === "busy") return claim;
  if (claim.kind === "finished") return { kind: "already", status: claim.status };
  const storage = storageFor(plan, deps.storageBaseDir);
  const key = backupKey(plan, run);
  if (claim.kind === "gave-up") {
    // A failed run keeps no file: neither a dead attempt's temp nor a file renamed just before it died.
    await storage.removeTemps(key);
    await storage.remove(key);
    return { kind: "failed", error: `gave up after ${claim.attempts} attempt(s)` };
  }
  const attempt = claim.attempt;
  // Temporary files of earlier attempts (a killed worker's) go before this attempt writes its own.
  const removed = await storage.removeTemps(key);
  if (removed.length) log.info({ runId, removed }, "removed temporary files of earlier attempts");

  const tail = new LogTail();
  const abort = new AbortController();
  let bytes = 0;
  let beating = false;
  const heartbeat = setInterval(() => {
    if (beating) return;
    beating = true;
    heartbeatBackupRun(db, runId, attempt, bytes, tail.toString())
      .then((held) => {
        if (!held) abort.abort(new Superseded(`backup ${runId}`, attempt));
      })
      .catch((err: unknown) => log.warn({ err, runId }, "heartbeat failed"))
      .finally(() => (beating = false));
  }, deps.heartbeatMs);

  try {
    const result = await dumpToStorage({
      conn: source.conn,
      storage,
      key,
      tempTag: `a${attempt}`,
      binDir: deps.binDir,
      log: tail,
      signal: abort.signal,
      progressEveryMs: Math.min(1000, deps.heartbeatMs),
      onProgress: (b) => (bytes = b),
      async beforeCommit(r, commit) {
        await db.$transaction(
          async (tx) => {
            await lockBackupAttempt(tx, runId, attempt);
            await commit();
            const next = plan.verification === "NONE" ? "SUCCEEDED" : "VERIFYING";
            await tx.$executeRaw`
              UPDATE backup_run
                 SET status = ${next}::"BackupRunStatus", finished_at = ${next === "SUCCEEDED" ? new Date() : null},
                     size_bytes = ${BigInt(r.sizeBytes)}, bytes_written = ${BigInt(r.sizeBytes)}, sha256 = ${r.sha256},
                     storage_key = ${r.key}, server_version = ${r.serverVersion}, tool_version = ${r.toolVersion},
                     manifest = ${JSON.stringify(r.manifest)}::jsonb, log_tail = ${r.logTail}, error = NULL, heartbeat_at = now()
               WHERE id = ${runId} AND attempt = ${attempt} AND status = 'RUNNING'`;
            await systemAudit(tx, {
              action: next === "SUCCEEDED" ? "backup.succeeded" : "backup.dumped",
              objectType: "backup_run",
              objectId: runId,
              objectName: plan.name,
              after: { attempt, sizeBytes: r.sizeBytes, sha256: r.sha256, key: r.key, location: storage.location },
            });
          },
          { timeout: 60_000 },
        );
      },
    });
    clearInterval(heartbeat);
    log.info({ runId, attempt, sizeBytes: result.sizeBytes, sha256: result.sha256 }, "backup written");
    if (plan.verification === "NONE") {
      await applyRetention(deps, plan.id);
      return { kind: "succeeded", sha256: result.sha256, sizeBytes: result.sizeBytes };
    }
    await deps.enqueueVerify(runId);
    return { kind: "verifying" };
  } catch (err) {
    clearInterval(heartbeat);
    const reason = abort.signal.aborted && abort.signal.reason instanceof Superseded ? abort.signal.reason : err;
    if (reason instanceof Superseded) {
      log.warn({ runId, attempt }, reason.message);
      return { kind: "superseded" };
    }
    const message = (reason as Error).message;
    const permanent = reason instanceof DumpError && reason.permanent;
    const outcome = await failBackupAttempt(db, runId, attempt, message, reason instanceof DumpError ? reason.logTail : tail.toString(), permanent);
    if (outcome === "superseded") return { kind: "superseded" };
    return outcome === "retry" ? { kind: "retry", error: message } : { kind: "failed", error: message };
  }
}
