// A restore job: a backup into a database of an endpoint. Into a new database (refused when the
// name is taken by anything not ours), or over an existing one after a safety backup of it. The
// created database carries a comment naming this restore, so a retry knows its own half-done work
// from a database it must not touch. Fenced like backups: attempt + status.
import { dumpToStorage } from "./dump";
import { Manifest } from "./manifest";
import { LogTail } from "./pg-tools";
import { createDatabase, databaseOwnerMark, dropDatabase, restoreIntoDatabase, VerificationError } from "./restore";
import { endpointBusy, systemAudit } from "./runs";
import { endpointConnection, SourceError } from "./source";
import { storageFor } from "./storage";
import type { BackupDeps } from "./perform-backup";

export type RestoreOutcome =
  | { kind: "succeeded" }
  | { kind: "failed"; error: string }
  | { kind: "busy"; reason: string }
  | { kind: "already"; status: string }
  | { kind: "superseded" };

const MAX_RESTORE_ATTEMPTS = 3;

export function restoreMark(restoreId: string): string {
  return `dbmesh restore ${restoreId}`;
}

async function claim(deps: BackupDeps, id: string): Promise<{ attempt: number } | RestoreOutcome> {
  return deps.db.$transaction(async (tx) => {
    const r = await tx.restoreRun.findUnique({ where: { id } });
    if (!r) return { kind: "already", status: "MISSING" } as const;
    if (r.status !== "QUEUED" && r.status !== "RUNNING") return { kind: "already", status: r.status } as const;
    if (r.attempt >= MAX_RESTORE_ATTEMPTS) {
      const error = `gave up after ${r.attempt} attempt(s): the worker stopped in the middle of each`;
      await tx.restoreRun.updateMany({ where: { id, attempt: r.attempt, status: { in: ["QUEUED", "RUNNING"] } }, data: { status: "FAILED", error, finishedAt: new Date() } });
      await systemAudit(tx, { action: "restore.failed", objectType: "restore_run", objectId: id, objectName: r.targetDatabase, after: { error } });
      return { kind: "failed", error } as const;
    }
    const busy = await endpointBusy(tx, r.endpointId, id, deps.perEndpointLimit, deps.staleAfterMs);
    if (busy) return { kind: "busy", reason: busy } as const;
    const rows = await tx.$queryRaw<{ attempt: number }[]>`
      UPDATE restore_run SET attempt = attempt + 1, status = 'RUNNING', worker = ${deps.workerName}, heartbeat_at = now(),
             started_at = COALESCE(started_at, now())
       WHERE id = ${id} AND status IN ('QUEUED', 'RUNNING') RETURNING attempt`;
    if (!rows[0]) return { kind: "already", status: "RACE" } as const;
    if (rows[0].attempt === 1) await systemAudit(tx, { action: "restore.started", objectType: "restore_run", objectId: id, objectName: r.targetDatabase, after: { worker: deps.workerName } });
    return { attempt: rows[0].attempt };
  });
}

async function finish(deps: BackupDeps, id: string, attempt: number, ok: boolean, data: { error?: string; check?: unknown; logTail: string; targetDatabase: string }): Promise<boolean> {
  return deps.db.$transaction(async (tx) => {
    const n = await tx.$executeRaw`
      UPDATE restore_run SET status = ${ok ? "SUCCEEDED" : "FAILED"}::"RestoreStatus", finished_at = now(), error = ${data.error ?? null},
             "check" = ${data.check === undefined ? null : JSON.stringify(data.check)}::jsonb, log_tail = ${data.logTail}
       WHERE id = ${id} AND attempt = ${attempt} AND status = 'RUNNING'`;
    if (n === 1) {
      await systemAudit(tx, { action: ok ? "restore.succeeded" : "restore.failed", objectType: "restore_run", objectId: id, objectName: data.targetDatabase, after: ok ? data.check : { error: data.error } });
    }
    return n === 1;
  });
}

export async function performRestore(deps: BackupDeps, restoreId: string): Promise<RestoreOutcome> {
  const { db, log } = deps;
  const c = await claim(deps, restoreId);
  if ("kind" in c) return c;
  const attempt = c.attempt;
  const r = await db.restoreRun.findUniqueOrThrow({ where: { id: restoreId }, include: { backupRun: { include: { plan: true } } } });
  const tail = new LogTail();
  const beat = setInterval(() => {
    void db.restoreRun
      .updateMany({ where: { id: restoreId, attempt, status: "RUNNING" }, data: { heartbeatAt: new Date(), logTail: tail.toString() } })
      .catch(() => {});
  }, deps.heartbeatMs);
  try {
    const backup = r.backupRun;
    if (backup.status !== "SUCCEEDED" || !backup.storageKey || !backup.sha256 || backup.deletedAt) {
      throw new VerificationError(`backup ${backup.id} cannot be restored: it is ${backup.deletedAt ? "deleted" : backup.status.toLowerCase()}`);
    }
    const { conn } = await endpointConnection(db, r.endpointId, deps.decrypt);
    const storage = storageFor(backup.plan, deps.storageBaseDir);
    const mark = restoreMark(restoreId);
    const existing = await databaseOwnerMark(conn, r.targetDatabase);

    if (existing !== undefined && existing !== mark) {
      if (!r.overwrite) {
        throw new VerificationError(`database "${r.targetDatabase}" already exists on the target endpoint: choose a new name, or restore over it (which takes a safety backup first)`);
      }
      // Over an existing database: a safety backup of it first, recorded before anything is dropped.
      const safetyKey = `safety/${restoreId}-${r.targetDatabase}.dump`;
      const safety = await dumpToStorage({ conn: { ...conn, database: r.targetDatabase }, storage, key: safetyKey, tempTag: `a${attempt}`, binDir: deps.binDir, log: tail });
      const held = await db.restoreRun.updateMany({
        where: { id: restoreId, attempt, status: "RUNNING" },
        data: { safetyKey, safetySha256: safety.sha256 },
      });
      if (held.count !== 1) return { kind: "superseded" };
      await db.$transaction((tx) =>
        systemAudit(tx, { action: "restore.safety_backup", objectType: "restore_run", objectId: restoreId, objectName: r.targetDatabase, after: { key: safetyKey, sha256: safety.sha256, sizeBytes: safety.sizeBytes } }),
      );
      log.info({ restoreId, safetyKey }, "safety backup taken");
    }
    if (existing !== undefined) await dropDatabase(conn, r.targetDatabase);
    await createDatabase(conn, r.targetDatabase, mark);
    const manifest = backup.manifest ? Manifest.parse(backup.manifest) : null;
    const result = await restoreIntoDatabase({ conn, targetDatabase: r.targetDatabase, storage, key: backup.storageKey, sha256: backup.sha256, manifest, jobs: deps.restoreJobs, binDir: deps.binDir, log: tail });
    const check = { ok: result.ok, tables: result.tables, rows: result.rows, problems: result.problems, toolVersion: result.toolVersion, serverVersion: result.serverVersion };
    if (!result.ok) {
      const error = `restored, but the final check failed: ${result.problems.slice(0, 5).join("; ")}`;
      await finish(deps, restoreId, attempt, false, { error, check, logTail: tail.toString(), targetDatabase: r.targetDatabase });
      return { kind: "failed", error };
    }
    const won = await finish(deps, restoreId, attempt, true, { check, logTail: tail.toString(), targetDatabase: r.targetDatabase });
    return won ? { kind: "succeeded" } : { kind: "superseded" };
  } catch (err) {
    const permanent = err instanceof VerificationError || err instanceof SourceError;
    const error = (err as Error).message;
    if (permanent || attempt >= MAX_RESTORE_ATTEMPTS) {
      await finish(deps, restoreId, attempt, false, { error, logTail: tail.toString(), targetDatabase: r.targetDatabase });
      return { kind: "failed", error };
    }
    await db.restoreRun.updateMany({ where: { id: restoreId, attempt, status: "RUNNING" }, data: { status: "QUEUED", error, logTail: tail.toString() } });
    throw err;
  } finally {
    clearInterval(beat);
  }
}
