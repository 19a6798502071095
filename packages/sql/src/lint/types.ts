// The migration linter's public shapes: what the schema pipeline stores per check run and shows per line.

export type LintSeverity = "error" | "warning" | "info";

export type LintCategory =
  | "destructive"
  | "backward-incompatible"
  | "data-dependent"
  | "locking"
  | "rewrite"
  | "naming-and-types"
  | "transaction"
  | "other";

export interface LintRuleInfo {
  /** Stable: Atlas's code where Atlas has the same check (DS1xx, BC1xx, CD1xx, MF1xx, PG1xx, PG3xx), else DMxxx. */
  code: string;
  title: string;
  category: LintCategory;
  defaultSeverity: LintSeverity;
  /** Plain text, 2–5 sentences: why it is risky and what to do instead. */
  explanation: string;
  /** SQL that does the same thing safely. */
  fixExample: string;
  /** A statement that fires the rule (each one is run by the rule table test). */
  firesOn: string;
  /** A close statement that does not. */
  passesOn: string;
}

/** Per SQL review policy (per environment): a code that is missing keeps the rule's default. */
export type LintPolicy = Record<string, { enabled: boolean; severity: LintSeverity }>;

/**
 * One statement of a migration. Lines and columns are 1-based; columns count UTF-16 code units (JavaScript
 * string indices), so `text` is `sql.slice(offset of start, offset of end)`. Leading comments and the
 * terminating semicolon are not part of `text`; `endLine`/`endColumn` is the position just after its last
 * character.
 */
export interface MigrationStatement {
  index: number;
  text: string;
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
  /** PostgreSQL's command tag style: "CREATE TABLE", "ALTER TABLE", "CREATE INDEX", "UPDATE", "BEGIN"… */
  kind: string;
  /**
   * False when PostgreSQL refuses to run it inside a transaction block (CREATE/DROP INDEX CONCURRENTLY,
   * REINDEX CONCURRENTLY, VACUUM, CREATE/DROP DATABASE, CREATE/DROP TABLESPACE, ALTER SYSTEM, DETACH
   * PARTITION CONCURRENTLY, CLUSTER without a table), and for transaction control itself (BEGIN, COMMIT…).
   * ALTER TYPE … ADD VALUE counts as transactional: PostgreSQL 12 and later accept it in a transaction block.
   */
  transactional: boolean;
}

export interface LintFinding {
  code: string;
  severity: LintSeverity;
  /** Names the table/column it is about. */
  message: string;
  statementIndex: number;
  /** Of the part of the statement the finding is about (the column, the constraint…), else of the statement. */
  line: number;
  column: number;
}

export interface LintReport {
  /**
   * Every statement of the migration, in order. With a parse error: the statements before it, and those after
   * the next semicolon that follows it when the rest parses (the statement in error itself is left out).
   */
  statements: MigrationStatement[];
  findings: LintFinding[];
  /** PostgreSQL's own message, at the token where the parser stopped. */
  parseError: { message: string; line: number; column: number } | null;
}

/** A linter whose parser is loaded: `lint` is synchronous. */
export interface MigrationLinter {
  lint(sql: string, policy?: LintPolicy): LintReport;
}
