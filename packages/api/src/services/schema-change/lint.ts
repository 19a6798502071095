import { loadMigrationLinter, type LintPolicy, type LintReport, type MigrationLinter } from "@dbmesh/sql";

let linter: Promise<MigrationLinter> | undefined;

/** Lints a change's SQL with the real PostgreSQL parser (loaded once per process). */
export async function lintChangeSql(sql: string, policy?: LintPolicy): Promise<LintReport> {
  linter ??= loadMigrationLinter();
  return (await linter).lint(sql, policy);
}
