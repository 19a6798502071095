import { PgParser } from "../pg-parser";
import { checkStatement } from "./check-statement";
import { MigrationState } from "./migration-state";
import { type Parse, readStatements } from "./read-statements";
import type { RawFinding } from "./reporter";
import { RULES_BY_CODE } from "./rules";
import { SourceText } from "./source-text";
import type { LintFinding, LintPolicy, LintReport, LintSeverity, MigrationLinter } from "./types";

// lintMigration: statements, parse error and findings of one migration text, with no database. "Existing
// table" means a table not created earlier in the same text: the linter sees no catalog.

export function lintWith(parse: Parse, sql: string, policy: LintPolicy = {}): LintReport {
  const source = new SourceText(sql);
  const { statements, parseError } = readStatements(parse, source);
  const state = new MigrationState();
  const raw: RawFinding[] = [];
  for (const statement of statements) checkStatement(statement, state, raw);
  state.finish(raw);

  raw.sort((a, b) => a.statementIndex - b.statementIndex || a.index - b.index);
  const findings: LintFinding[] = [];
  for (const f of raw) {
    const rule = RULES_BY_CODE.get(f.code);
    if (rule === undefined) throw new Error(`lint rule ${f.code} is not in LINT_RULES`);
    const setting = policy[f.code];
    if (setting !== undefined && !setting.enabled) continue;
    const severity: LintSeverity = setting?.severity ?? rule.defaultSeverity;
    const { line, column } = source.position(f.index);
    findings.push({ code: f.code, severity, message: f.message, statementIndex: f.statementIndex, line, column });
  }

  const error = parseError === null ? null : { message: parseError.message, ...source.position(parseError.index) };
  return { statements: statements.map((s) => s.info), findings, parseError: error };
}

/** Loads PostgreSQL's parser (WASM, ~10 ms) and returns a linter whose `lint` is synchronous. */
export async function loadMigrationLinter(): Promise<MigrationLinter> {
  const parser = await PgParser.load();
  return { lint: (sql, policy) => lintWith((text) => parser.parse(text), sql, policy) };
}

let shared: Promise<PgParser> | null = null;

/**
 * Lints one migration with a parser shared by the process (loaded on first use). Statements, PostgreSQL's
 * syntax error with its line and column, and the findings of LINT_RULES under `policy` (a code missing from
 * the policy keeps its rule's default).
 */
export async function lintMigration(sql: string, policy?: LintPolicy): Promise<LintReport> {
  shared ??= PgParser.load();
  const parser = await shared;
  const report = lintWith((text) => parser.parse(text), sql, policy);
  if (report.parseError !== null && report.parseError.message.startsWith("the SQL parser is restarting")) {
    // Both WASM instances were thrown away by statements too deep to parse: wait for fresh ones, once.
    await parser.ready();
    return lintWith((text) => parser.parse(text), sql, policy);
  }
  return report;
}
