// Which backups a plan's retention deletes. Pure, so the rules are tested as a table.

export interface RetentionCandidate {
  id: string;
  finishedAt: Date;
  /** Set when verification passed (pg_restore --list or a full restore). */
  verifiedAt: Date | null;
}

export interface RetentionPolicy {
  /** Keep the newest N backups. */
  keep: number | null;
  /** Keep backups younger than N days. */
  days: number | null;
}

/**
 * The ids to delete among a plan's live (succeeded, not yet deleted) backups. With both limits a
 * backup goes only when it is beyond both (the newest N *and* everything younger than N days
 * stay). The newest verified backup is never deleted, whatever the policy says: a plan must always
 * keep one backup known to restore; with none verified, the newest one stays.
 */
export function retentionVictims(backups: RetentionCandidate[], policy: RetentionPolicy, now: Date = new Date()): string[] {
  if (policy.keep === null && policy.days === null) return [];
  const newestFirst = [...backups].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime());
  const protectedId = (newestFirst.find((b) => b.verifiedAt !== null) ?? newestFirst[0])?.id;
  const cutoff = policy.days === null ? null : now.getTime() - policy.days * 24 * 60 * 60 * 1000;
  return newestFirst
    .filter((b, index) => {
      if (b.id === protectedId) return false;
      const beyondCount = policy.keep === null || index >= policy.keep;
      const beyondAge = cutoff === null || b.finishedAt.getTime() < cutoff;
      return beyondCount && beyondAge;
    })
    .map((b) => b.id);
}
