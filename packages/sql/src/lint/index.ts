export type {
  LintCategory,
  LintFinding,
  LintPolicy,
  LintReport,
  LintRuleInfo,
  LintSeverity,
  MigrationLinter,
  MigrationStatement,
} from "./types";
export { LINT_RULES, defaultLintPolicy } from "./rules";
export { lintMigration, loadMigrationLinter } from "./lint-migration";
