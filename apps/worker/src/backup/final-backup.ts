// The decommission's last safety net: before a self-service database is dropped, pg_dump it into
// backup storage (`decommissioned/<database>-<request>.dump`, under the default backup directory)
// with the same code a plan's backup runs — checksum while writing, fsync, moved into place only after
// pg_dump exits 0. A retried step (the worker died mid-dump) finds the committed file and keeps it.
import type { FinalBackupHook } from "@dbmesh/api/self-service";
import { dumpToStorage, endpointConnection, storageFor, type Decrypt } from "@dbmesh/backup";
import type { Db } from "@dbmesh/db";
import type { BackupSettings } from "./runtime";

export const FINAL_BACKUP_STORAGE = { storageKind: "local", storagePath: ".dbmesh/backups" } as const;

export function finalBackupKey(target: { backendDatabase: string; schema?: string | null; requestId: string }): string {
  const what = target.schema ? `${target.backendDatabase}.${target.schema}` : target.backendDatabase;
  return `decommissioned/${what}-${target.requestId}.dump`;
}

export function createFinalBackupHook(db: Db, settings: Pick<BackupSettings, "root" | "binDir">, decrypt: Decrypt): FinalBackupHook {
  return async (target) => {
    const storage = storageFor(FINAL_BACKUP_STORAGE, settings.root);
    const key = finalBackupKey(target);
    const existing = await storage.size(key);
    if (existing !== null) return { detail: `kept the final backup taken by an earlier attempt: ${storage.location}/${key} (${existing} bytes)` };
    await storage.removeTemps(key);
    const { conn } = await endpointConnection(db, target.endpointId, decrypt, target.backendDatabase);
    // A schema in a shared database: only that schema (no manifest: its counts would cover the whole database).
    const schemas = target.schema ? [target.schema] : [];
    const dump = await dumpToStorage({ conn, storage, key, tempTag: `${process.pid}-${Date.now()}`, binDir: settings.binDir, schemas, manifest: schemas.length === 0 });
    const tables = dump.manifest ? `, ${dump.manifest.tables.length} tables` : "";
    const what = target.schema ? `schema ${target.schema} of ${target.backendDatabase}` : target.backendDatabase;
    return { detail: `pg_dump -Fc of ${what} to ${storage.location}/${key}: ${dump.sizeBytes} bytes, sha256 ${dump.sha256}${tables}` };
  };
}
