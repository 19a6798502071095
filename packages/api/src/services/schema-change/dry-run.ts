import type { MigrationStatement } from "@dbmesh/sql";
import type pg from "pg";
import { describeSchema } from "./describe-schema";
import { isLockTimeout, isTransactionControl, positionInMigration } from "./statements";

export type DryRunStatementStatus = "ok" | "error" | "not_dry_run" | "not_run";

export interface DryRunStatementResult {
  index: number;
  status: DryRunStatementStatus;
  command: string | null;
  rowCount: number | null;
  durationMs: number;
  /** Why the statement was not executed, or what PostgreSQL answered. */
  message: string | null;
  line: number;
  column: number;
  sqlstate: string | null;
}

export interface DryRunResult {
  statements: DryRunStatementResult[];
  /** The first failing statement, or a failure around the run (connection, timeouts). */
  error: { statementIndex: number | null; message: string; line: number | null; column: number | null; sqlstate: string | null } | null;
  schemaBefore: string;
  schemaAfter: string;
  durationMs: number;
}

export interface DryRunOptions {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

interface PgError {
  message: string;
  code?: string;
  position?: string;
  detail?: string;
  hint?: string;
}

export function pgErrorText(err: PgError, opts?: { lockTimeoutMs?: number }): string {
  let text = err.message;
  if (isLockTimeout(err) && opts?.lockTimeoutMs) {
    text = `lock_timeout (${opts.lockTimeoutMs} ms) reached: another session holds a lock this statement needs (${err.message})`;
  } else if (err.code === "57014") {
    text = `statement_timeout reached: ${err.message}`;
  }
  if (err.detail) text += ` — ${err.detail}`;
  if (err.hint) text += ` (hint: ${err.hint})`;
  return text;
}

/**
 * Executes the transactional statements of a migration on a target inside one transaction that is
 * always rolled back, with lock_timeout and statement_timeout set, and reads the catalog before
 * and after (inside the transaction, so the "after" sees the uncommitted DDL). Statements that
 * cannot run in a transaction (CREATE INDEX CONCURRENTLY, VACUUM…) are not executed: lint checks
 * them. Nothing persists — except sequence values consumed by INSERTs, which PostgreSQL never rolls back.
 */
export async function dryRun(client: pg.ClientBase, statements: readonly MigrationStatement[], opts: DryRunOptions): Promise<DryRunResult> {
  const started = performance.now();
  const results: DryRunStatementResult[] = [];
  let error: DryRunResult["error"] = null;
  let schemaBefore = "";
  let schemaAfter = "";
  await client.query("BEGIN");
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(opts.lockTimeoutMs))}`);
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(opts.statementTimeoutMs))}`);
    schemaBefore = await describeSchema(client);
    for (const stmt of statements) {
      const base = { index: stmt.index, command: null, rowCount: null, durationMs: 0, line: stmt.startLine, column: stmt.startColumn, sqlstate: null };
      if (error) {
        results.push({ ...base, status: "not_run", message: `not run: statement ${error.statementIndex! + 1} failed before it` });
        continue;
      }
      if (isTransactionControl(stmt)) {
        const message = "transaction control is not allowed in a change: dbmesh runs each change in its own transaction";
        results.push({ ...base, status: "error", message });
        error = { statementIndex: stmt.index, message, line: stmt.startLine, column: stmt.startColumn, sqlstate: null };
        continue;
      }
      if (!stmt.transactional) {
        results.push({ ...base, status: "not_dry_run", message: "not dry-run: this statement cannot run inside a transaction; checked by lint only" });
        continue;
      }
      const t0 = performance.now();
      try {
        const last = lastResult(await client.query(stmt.text));
        results.push({ ...base, status: "ok", command: last.command ?? null, rowCount: last.rowCount ?? null, durationMs: Math.round(performance.now() - t0), message: null });
      } catch (err) {
        const e = err as PgError;
        const pos = positionInMigration(stmt, e.position ? Number(e.position) : undefined);
        const message = pgErrorText(e, opts);
        results.push({ ...base, status: "error", durationMs: Math.round(performance.now() - t0), message, line: pos.line, column: pos.column, sqlstate: e.code ?? null });
        error = { statementIndex: stmt.index, message, line: pos.line, column: pos.column, sqlstate: e.code ?? null };
      }
    }
    // After a failure the transaction is aborted and the catalog unreadable: the "after" is
    // only meaningful when every executed statement succeeded.
    if (!error) schemaAfter = await describeSchema(client);
  } catch (err) {
    error = { statementIndex: null, message: pgErrorText(err as PgError, opts), line: null, column: null, sqlstate: (err as PgError).code ?? null };
  } finally {
    await client.query("ROLLBACK");
  }
  return { statements: results, error, schemaBefore, schemaAfter, durationMs: Math.round(performance.now() - started) };
}

/** A text without parameters goes through the simple protocol, which answers an array for several statements. */
export function lastResult(res: pg.QueryResult | pg.QueryResult[]): pg.QueryResult {
  return Array.isArray(res) ? res[res.length - 1]! : res;
}
