// The life of a backup run in Postgres. Delivery is at least once (a stalled or retried job runs
// again, maybe while the first holder is merely paused), so every step is keyed and fenced:
// - one run per (plan, slot): a duplicated scheduled job finds the run already there;
// - claiming bumps `attempt`; only the holder of the current attempt may heartbeat or finish
//   (`… WHERE id = $1 AND attempt = $2 AND status = 'RUNNING'`), so a worker that wakes up late
//   (SIGSTOP, a long GC) learns it was replaced and leaves the outcome alone;
// - the file is moved into place inside the transaction that holds the row lock and writes the
//   outcome: a replacement's claim waits for that lock, then sees the run finished.
import type { Db, Prisma } from "@dbmesh/db";
import { randomBytes } from "node:crypto";

export type Tx = Prisma.TransactionClient;

export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
export function newRunId(prefix: "br" | "rr"): string {
  let out = "";
  for (const b of randomBytes(16)) out += ALPHABET[b % 36];
  return `${prefix}_${out}`;
}

export const WORKER_ACTOR = { actorKind: "system", actorEmail: "worker@dbmesh" } as const;

/** An audit row written by the worker, in the caller's transaction. */
export async function systemAudit(
  tx: Tx,
  entry: { action: string; objectType: string; objectId: string; objectName?: string | null; after?: unknown },
): Promise<void> {
  await tx.auditEvent.create({
    data: {
      ...WORKER_ACTOR,
      action: entry.action,
      objectType: entry.objectType,
      objectId: entry.objectId,
      objectName: entry.objectName ?? null,
      after: entry.after === undefined ? undefined : (JSON.parse(JSON.stringify(entry.after)) as Prisma.InputJsonValue),
    },
  });
}

/** The slot of a scheduled job: the time it was scheduled for, so every delivery of it agrees. */
export function scheduledSlot(ms: number): string {
  return `cron:${new Date(ms).toISOString()}`;
}

/**
 * The run of a plan's scheduled slot, created on first sight (INSERT … ON CONFLICT DO NOTHING):
 * a retried or duplicated job finds the same run. Null when there is no run yet and the plan is
 * gone or paused.
 */
export async function ensureScheduledRun(db: Db, planId: string, slotMs: number): Promise<string | null> {
  const slot = scheduledSlot(slotMs);
  return db.$transaction(async (tx) => {
    // A run already made for this slot carries on (a retry after the plan was paused included).
    const existing = await tx.backupRun.findUnique({ where: { planId_slot: { planId, slot } } });
    if (existing) return existing.id;
    const plan = await tx.backupPlan.findUnique({ where: { id: planId } });
    if (!plan || plan.paused) return null;
    const id = newRunId("br");
    const inserted = await tx.$executeRaw`
      INSERT INTO backup_run (id, plan_id, slot, trigger, status, queued_at)
      VALUES (${id}, ${planId}, ${slot}, 'schedule', 'QUEUED', now())
      ON CONFLICT (plan_id, slot) DO NOTHING`;
    if (inserted === 1) {
      await systemAudit(tx, { action: "backup.run_scheduled", objectType: "backup_run", objectId: id, objectName: plan.name, after: { slot } });
      return id;
    }
    const raced = await tx.backupRun.findUnique({ where: { planId_slot: { planId, slot } } });
    return raced?.id ?? null;
  });
}

export type Claim =
  | { kind: "claimed"; attempt: number }
  | { kind: "busy"; reason: string }
  | { kind: "finished"; status: string }
  | { kind: "gave-up"; attempts: number };

/**
 * Backups, verifications and restores running against one endpoint, counted under a
 * transaction-level advisory lock on it, so two claimers never both see room for one more.
 * A row whose heartbeat is older than `staleAfterMs` belongs to a dead worker and does not count.
 */
export async function endpointBusy(tx: Tx, endpointId: string, selfId: string, limit: number, staleAfterMs: number): Promise<string | null> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`dbmesh-endpoint:${endpointId}`}))`;
  const since = new Date(Date.now() - staleAfterMs);
  const rows = await tx.$queryRaw<{ n: bigint }[]>`
    SELECT (SELECT count(*) FROM backup_run WHERE endpoint_id = ${endpointId} AND id <> ${selfId}
              AND status IN ('RUNNING', 'VERIFYING') AND heartbeat_at >= ${since})
         + (SELECT count(*) FROM restore_run WHERE endpoint_id = ${endpointId} AND id <> ${selfId}
              AND status = 'RUNNING' AND heartbeat_at >= ${since}) AS n`;
  const n = Number(rows[0]?.n ?? 0);
  return n >= limit ? `${n} backup or restore job(s) already running on this endpoint (limit ${limit})` : null;
}

/**
 * Takes the run for this worker: attempt + 1, status RUNNING. A run already RUNNING belongs to an
 * attempt whose worker died or lost its lock (BullMQ handed us the job): we replace it, unless it
 * has used up the plan's attempts.
 */
export async function claimBackupRun(
  db: Db,
  runId: string,
  opts: { endpointId: string; database: string; worker: string; limit: number; staleAfterMs: number },
): Promise<Claim> {
  return db.$transaction(async (tx) => {
    const busy = await endpointBusy(tx, opts.endpointId, runId, opts.limit, opts.staleAfterMs);
    const run = await tx.backupRun.findUnique({ where: { id: runId }, include: { plan: true } });
    if (!run) return { kind: "finished", status: "MISSING" };
    if (run.status !== "QUEUED" && run.status !== "RUNNING") return { kind: "finished", status: run.status };
    if (run.attempt >= run.plan.maxAttempts) {
      const error =
        run.status === "RUNNING"
          ? `gave up after ${run.attempt} attempt(s): the worker stopped in the middle of each (killed, or it lost its job lock)`
          : (run.error ?? `gave up after ${run.attempt} attempt(s)`);
      const n = await tx.$executeRaw`
        UPDATE backup_run SET status = 'FAILED', finished_at = now(), error = ${error}
         WHERE id = ${runId} AND attempt = ${run.attempt} AND status IN ('QUEUED', 'RUNNING')`;
      if (n === 1) await systemAudit(tx, { action: "backup.failed", objectType: "backup_run", objectId: runId, objectName: run.plan.name, after: { error, attempt: run.attempt } });
      return { kind: "gave-up", attempts: run.attempt };
    }
    if (busy) return { kind: "busy", reason: busy };
    const rows = await tx.$queryRaw<{ attempt: number }[]>`
      UPDATE backup_run
         SET attempt = attempt + 1, status = 'RUNNING', worker = ${opts.worker}, heartbeat_at = now(),
             started_at = COALESCE(started_at, now()), endpoint_id = ${opts.endpointId}, database = ${opts.database},
             bytes_written = 0
       WHERE id = ${runId} AND status IN ('QUEUED', 'RUNNING')
   RETURNING attempt`;
    const attempt = rows[0]?.attempt;
    if (attempt === undefined) return { kind: "finished", status: "RACE" };
    if (attempt === 1) await systemAudit(tx, { action: "backup.started", objectType: "backup_run", objectId: runId, objectName: run.plan.name, after: { worker: opts.worker } });
    return { kind: "claimed", attempt };
  });
}

/** Heartbeat and progress; false when this attempt no longer holds the run (stop at once). */
export async function heartbeatBackupRun(db: Db, runId: string, attempt: number, bytes: number, logTail?: string): Promise<boolean> {
  const n = logTail === undefined
    ? await db.$executeRaw`UPDATE backup_run SET heartbeat_at = now(), bytes_written = ${BigInt(bytes)} WHERE id = ${runId} AND attempt = ${attempt} AND status = 'RUNNING'`
    : await db.$executeRaw`UPDATE backup_run SET heartbeat_at = now(), bytes_written = ${BigInt(bytes)}, log_tail = ${logTail} WHERE id = ${runId} AND attempt = ${attempt} AND status = 'RUNNING'`;
  return n === 1;
}

export class Superseded extends Error {
  constructor(what: string, attempt: number) {
    super(`${what} attempt ${attempt} was replaced by a newer attempt (this worker lost its lock): leaving the outcome to it`);
    this.name = "Superseded";
  }
}

/** Locks the run row if this attempt still holds it; else throws Superseded. */
export async function lockBackupAttempt(tx: Tx, runId: string, attempt: number): Promise<void> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM backup_run WHERE id = ${runId} AND attempt = ${attempt} AND status = 'RUNNING' FOR UPDATE`;
  if (rows.length !== 1) throw new Superseded(`backup ${runId}`, attempt);
}

/**
 * A failed attempt: back to QUEUED for a retry while attempts remain, else FAILED. Fenced: a
 * replaced attempt changes nothing. Returns whether the run will be retried.
 */
export async function failBackupAttempt(db: Db, runId: string, attempt: number, error: string, logTail: string, permanent: boolean): Promise<"retry" | "failed" | "superseded"> {
  return db.$transaction(async (tx) => {
    const run = await tx.backupRun.findUnique({ where: { id: runId }, include: { plan: true } });
    if (!run || run.attempt !== attempt || run.status !== "RUNNING") return "superseded";
    const retry = !permanent && attempt < run.plan.maxAttempts;
    const status = retry ? "QUEUED" : "FAILED";
    await tx.$executeRaw`
      UPDATE backup_run SET status = ${status}::"BackupRunStatus", error = ${error}, log_tail = ${logTail},
             finished_at = ${retry ? null : new Date()}, bytes_written = 0
       WHERE id = ${runId} AND attempt = ${attempt} AND status = 'RUNNING'`;
    await systemAudit(tx, {
      action: retry ? "backup.attempt_failed" : "backup.failed",
      objectType: "backup_run",
      objectId: runId,
      objectName: run.plan.name,
      after: { attempt, error },
    });
    return retry ? "retry" : "failed";
  });
}

/** Marks a queued or running run FAILED whatever its attempt (its job failed for good). */
export async function failBackupRunForGood(db: Db, runId: string, error: string): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const run = await tx.backupRun.findUnique({ where: { id: runId }, include: { plan: { select: { name: true } } } });
    const n = await tx.$executeRaw`
      UPDATE backup_run SET status = 'FAILED', error = ${error}, finished_at = now()
       WHERE id = ${runId} AND status IN ('QUEUED', 'RUNNING', 'VERIFYING')`;
    if (n === 1) await systemAudit(tx, { action: "backup.failed", objectType: "backup_run", objectId: runId, objectName: run?.plan.name, after: { error } });
    return n === 1;
  });
}
