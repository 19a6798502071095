import type { MigrationStatement } from "@dbmesh/sql";

/** Where in the migration a PostgreSQL error position (1-based, within one statement's text) points. */
export function positionInMigration(stmt: Pick<MigrationStatement, "text" | "startLine" | "startColumn">, position: number | undefined): { line: number; column: number } {
  if (!position || position < 1) return { line: stmt.startLine, column: stmt.startColumn };
  const before = stmt.text.slice(0, position - 1);
  const newlines = before.split("\n");
  if (newlines.length === 1) return { line: stmt.startLine, column: stmt.startColumn + before.length };
  return { line: stmt.startLine + newlines.length - 1, column: newlines[newlines.length - 1]!.length + 1 };
}

// dbmesh owns the transaction of a change (the dry run's rollback, the rollout's history row): a
// statement that ends or opens one would let part of a change persist where it must not.
const TRANSACTION_CONTROL = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*(begin|commit|end|rollback|abort|start\s+transaction|savepoint|release|prepare\s+transaction)\b/i;

const CONTROL_KINDS = /^(BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE)/;

export function isTransactionControl(stmt: Pick<MigrationStatement, "text" | "kind">): boolean {
  return CONTROL_KINDS.test(stmt.kind) || TRANSACTION_CONTROL.test(stmt.text);
}

/** Consecutive transactional statements share one transaction; every other statement runs alone. */
export interface Segment {
  transactional: boolean;
  statements: MigrationStatement[];
}

export function segmentsOf(statements: readonly MigrationStatement[]): Segment[] {
  const segments: Segment[] = [];
  for (const s of statements) {
    const last = segments[segments.length - 1];
    if (s.transactional && last?.transactional) last.statements.push(s);
    else segments.push({ transactional: s.transactional, statements: [s] });
  }
  return segments;
}

/** The index a CREATE INDEX CONCURRENTLY builds, when the statement names it (schema-qualified or not). */
export function concurrentIndexName(text: string): string | null {
  const m = /create\s+(?:unique\s+)?index\s+concurrently\s+(?:if\s+not\s+exists\s+)?((?:"[^"]+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][\w$]*))?)\s+on\b/i.exec(text);
  return m ? m[1]!.replace(/\s+/g, "") : null;
}

/** The schema of the table a statement's ON clause names, for qualifying an index name. */
export function isLockTimeout(err: unknown): boolean {
  return (err as { code?: string }).code === "55P03";
}
