// The seam between decommissioning and backups. The worker registers a function (apps/worker
// src/backup/final-backup.ts) that pg_dumps the database into backup storage and resolves once the file
// is safely stored; a process that registers none (the console, which never runs provision jobs)
// records the "final-backup" step as skipped with "no backup plan feature".

export interface FinalBackupTarget {
  requestId: string;
  virtualDatabase: string;
  endpointId: string;
  backendDatabase: string;
  /** A schema in a shared database: dump only this schema (`pg_dump -n`); null: the whole database. */
  schema: string | null;
}

export type FinalBackupHook = (target: FinalBackupTarget) => Promise<{ detail: string }>;

let hook: FinalBackupHook | null = null;

/** Called once at worker start. */
export function registerFinalBackupHook(fn: FinalBackupHook | null): void {
  hook = fn;
}

export function finalBackupHook(): FinalBackupHook | null {
  return hook;
}
