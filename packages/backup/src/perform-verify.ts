// Verification of a finished dump (a job on the restore queue): the checksum first, then
// `pg_restore --list`, or a full restore into a scratch database compared with the manifest.
import { Manifest } from "./manifest";
import { applyRetention } from "./retention-apply";
import { createDatabase, databaseOwnerMark, dropDatabase, restoreIntoDatabase, verifyChecksum, verifyList, VerificationError } from "./restore";
import { endpointBusy, systemAudit } from "./runs";
import { endpointConnection } from "./source";
import { storageFor } from "./storage";
import type { BackupDeps } from "./perform-backup";

export type VerifyOutcome = { kind: "succeeded"; result: string } | { kind: "failed"; error: string } | { kind: "busy"; reason: string } | { kind: "already"; status: string };

export function scratchDatabaseName(runId: string): string {
  return `dbmesh_verify_${runId.replace(/[^a-z0-9_]/g, "_")}`;
}

async function finish(deps: BackupDeps, runId: string, planName: string, ok: boolean, text: string): Promise<boolean> {
  return deps.db.$transaction(async (tx) => {
    const n = ok
      ? await tx.$executeRaw`UPDATE backup_run SET status = 'SUCCEEDED', verified_at = now(), verify_result = ${text}, finished_at = now()
                              WHERE id = ${runId} AND status = 'VERIFYING'`
      : await tx.$executeRaw`UPDATE backup_run SET status = 'FAILED', verified_at = NULL, verify_result = ${text}, error = ${`verification failed: ${text}`}, finished_at = now()
                              WHERE id = ${runId} AND status = 'VERIFYING'`;
    if (n === 1) {
      await systemAudit(tx, { action: ok ? "backup.verified" : "backup.verification_failed", objectType: "backup_run", objectId: runId, objectName: planName, after: { result: text } });
    }
    return n === 1;
  });
}

export async function performVerify(deps: BackupDeps, runId: string): Promise<VerifyOutcome> {
  const { db } = deps;
  const run = await db.backupRun.findUnique({ where: { id: runId }, include: { plan: true } });
  if (!run) return { kind: "already", status: "MISSING" };
  if (run.status !== "VERIFYING") return { kind: "already", status: run.status };
  if (!run.storageKey || !run.sha256) {
    await finish(deps, runId, run.plan.name, false, "the run has no file to verify");
    return { kind: "failed", error: "no file" };
  }
  const mode = run.plan.verification === "NONE" ? "LIST" : run.plan.verification;
  const storage = storageFor(run.plan, deps.storageBaseDir);

  if (mode === "RESTORE" && run.endpointId) {
    const busy = await db.$transaction(async (tx) => {
      const why = await endpointBusy(tx, run.endpointId!, runId, deps.perEndpointLimit, deps.staleAfterMs);
      if (!why) await tx.backupRun.update({ where: { id: runId }, data: { heartbeatAt: new Date() } });
      return why;
    });
    if (busy) return { kind: "busy", reason: busy };
  }

  try {
    await verifyChecksum(storage, run.storageKey, run.sha256);
    let result: string;
    if (mode === "LIST") {
      const entries = await verifyList(storage, run.storageKey, deps);
      result = `checksum ok; pg_restore --list read the whole archive (${entries} TOC entries)`;
    } else {
      if (!run.endpointId) throw new VerificationError("the run does not say which endpoint it came from");
      const { conn } = await endpointConnection(db, run.endpointId, deps.decrypt);
      const scratch = scratchDatabaseName(runId);
      const mark = `dbmesh verification of ${runId}`;
      // A scratch database of ours from an earlier try goes first; anything else of that name is not ours.
      const existing = await databaseOwnerMark(conn, scratch);
      if (existing !== undefined && existing !== mark) throw new VerificationError(`database ${scratch} exists and is not dbmesh's scratch database: rename or drop it`);
      if (existing !== undefined) await dropDatabase(conn, scratch);
      await createDatabase(conn, scratch, mark);
      const beat = setInterval(() => {
        void db.backupRun.updateMany({ where: { id: runId, status: "VERIFYING" }, data: { heartbeatAt: new Date() } }).catch(() => {});
      }, deps.heartbeatMs);
      try {
        const manifest = run.manifest ? Manifest.parse(run.manifest) : null;
        const r = await restoreIntoDatabase({ conn, targetDatabase: scratch, storage, key: run.storageKey, sha256: run.sha256, manifest, jobs: deps.restoreJobs, binDir: deps.binDir });
        if (!r.ok) throw new VerificationError(`the restored copy differs from the backup's manifest: ${r.problems.slice(0, 5).join("; ")}`);
        result = `checksum ok; restored into a scratch database: ${r.tables} tables, ${r.rows} rows, all matching the manifest`;
      } finally {
        clearInterval(beat);
        await dropDatabase(conn, scratch).catch((err: unknown) => deps.log.warn({ err, scratch }, "could not drop the scratch database"));
      }
    }
    await finish(deps, runId, run.plan.name, true, result);
    await applyRetention(deps, run.planId);
    return { kind: "succeeded", result };
  } catch (err) {
    if (err instanceof VerificationError) {
      await finish(deps, runId, run.plan.name, false, err.message);
      return { kind: "failed", error: err.message };
    }
    throw err;
  }
}
