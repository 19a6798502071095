// The seam between decommissioning and backups. The backups feature (another part of dbmesh) registers a
// function that takes a final backup of a database and resolves when it is safely stored; until one is
// registered, decommissioning records its "final-backup" step as skipped with "no backup plan feature".

export interface FinalBackupTarget {
  requestId: string;
  virtualDatabase: string;
  endpointId: string;
  backendDatabase: string;
}

export type FinalBackupHook = (target: FinalBackupTarget) => Promise<{ detail: string }>;

let hook: FinalBackupHook | null = null;

/** Called once at worker start by the backups feature. */
export function registerFinalBackupHook(fn: FinalBackupHook | null): void {
  hook = fn;
}

export function finalBackupHook(): FinalBackupHook | null {
  return hook;
}
