import { createHash } from "node:crypto";
import type { MigrationStatement } from "@dbmesh/sql";
import type pg from "pg";
import { HISTORY_TABLE } from "./describe-schema";
import { lastResult, pgErrorText } from "./dry-run";
import { concurrentIndexName, isLockTimeout, isTransactionControl, positionInMigration, segmentsOf } from "./statements";

export interface AppliedStatement {
  index: number;
  statementHash: string;
  statement: string;
  appliedAt: Date;
  appliedBy: string;
  durationMs: number;
  rowCount: number | null;
}

export interface StatementOutput {
  index: number;
  status: "applied" | "already_applied" | "failed" | "not_run";
  line: number;
  durationMs: number | null;
  rowCount: number | null;
  command: string | null;
  attempts: number;
  notices: string[];
  message: string | null;
}

export interface ApplyOptions {
  /** Identifies the change on the target: `<change request>:v<version>:<APPLY|ROLLBACK>`. */
  changeKey: string;
  changeRequestId: string;
  version: number;
  kind: "APPLY" | "ROLLBACK";
  stageId: string;
  appliedBy: string;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /** Lock timeouts retried this many times per transaction, waiting retryBackoffMs × 2^attempt. */
  lockRetries: number;
  retryBackoffMs: number;
  /** Called after each commit on the target, so the control plane can record progress. */
  onProgress?: (outputs: StatementOutput[], applied: AppliedStatement[]) => Promise<void>;
}

export class StageFailure extends Error {
  constructor(
    message: string,
    readonly outputs: StatementOutput[],
  ) {
    super(message);
    this.name = "StageFailure";
  }
}

/** The target is busy with this very change (another worker's session still holds the lock): retry later. */
export class TargetBusy extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TargetBusy";
  }
}

export function statementHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The history table dbmesh keeps on each target; its unique key is what forbids applying a statement twice. */
export async function ensureHistoryTable(client: pg.ClientBase): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    change_key text NOT NULL,
    change_request_id text NOT NULL,
    version integer NOT NULL,
    kind text NOT NULL,
    stage_id text NOT NULL,
    statement_index integer NOT NULL,
    statement_hash text NOT NULL,
    statement text NOT NULL,
    status text NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'started')),
    applied_by text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms integer,
    row_count bigint,
    UNIQUE (change_key, statement_index)
  )`);
}

interface HistoryRow {
  statement_index: number;
  statement_hash: string;
  statement: string;
  status: string;
  applied_by: string;
  applied_at: Date;
  duration_ms: number | null;
  row_count: string | null;
}

export async function readTargetHistory(client: pg.ClientBase, changeKey: string): Promise<HistoryRow[]> {
  const { rows } = await client.query<HistoryRow>(
    `SELECT statement_index, statement_hash, statement, status, applied_by, applied_at, duration_ms, row_count
       FROM ${HISTORY_TABLE} WHERE change_key = $1 ORDER BY statement_index`,
    [changeKey],
  );
  return rows;
}

export function toApplied(r: HistoryRow): AppliedStatement {
  return {
    index: r.statement_index,
    statementHash: r.statement_hash,
    statement: r.statement,
    appliedAt: r.applied_at,
    appliedBy: r.applied_by,
    durationMs: r.duration_ms ?? 0,
    rowCount: r.row_count === null ? null : Number(r.row_count),
  };
}

/**
 * Applies a change to one target, exactly once per statement:
 * - consecutive transactional statements run in one transaction, together with their rows in
 *   dbmesh_schema_history — so a crash leaves either all of them recorded and applied or none;
 * - a statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY…) runs alone, between
 *   a "started" and an "applied" history row; a retry that finds "started" checks what happened
 *   (the index is valid → recorded; invalid → dropped and rebuilt) or stops and asks a person;
 * - statements already recorded for this change are skipped, so a retried stage resumes;
 * - a session advisory lock keeps two workers off the same change on the same target;
 * - lock timeouts (SQLSTATE 55P03) roll the transaction back and retry with exponential backoff.
 */
export async function applyStatements(client: pg.Client, statements: readonly MigrationStatement[], opts: ApplyOptions): Promise<StatementOutput[]> {
  const notices: string[] = [];
  const onNotice = (n: { message?: string }) => notices.push(n.message ?? String(n));
  client.on("notice", onNotice);
  const outputs: StatementOutput[] = statements.map((s) => ({
    index: s.index,
    status: "not_run",
    line: s.startLine,
    durationMs: null,
    rowCount: null,
    command: null,
    attempts: 0,
    notices: [],
    message: null,
  }));
  const fail = (message: string): never => {
    throw new StageFailure(message, outputs);
  };

  for (const s of statements) if (isTransactionControl(s)) fail(`statement ${s.index + 1} (line ${s.startLine}) is transaction control, which a change may not contain`);

  await ensureHistoryTable(client);
  const { rows: lock } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [opts.changeKey]);
  if (!lock[0]?.ok) throw new TargetBusy(`another session is applying this change to the target right now (advisory lock on ${opts.changeKey} is held)`);
  try {
    const history = new Map((await readTargetHistory(client, opts.changeKey)).map((r) => [r.statement_index, r]));
    for (const [index, row] of history) {
      const stmt = statements.find((s) => s.index === index);
      if (row.status === "applied" && stmt && row.statement_hash !== statementHash(stmt.text)) {
        fail(`statement ${index + 1} recorded on the target differs from this change's statement ${index + 1}: refusing to continue`);
      }
    }
    for (const o of outputs) if (history.get(o.index)?.status === "applied") {
      o.status = "already_applied";
      o.message = "already applied (recorded in dbmesh_schema_history): skipped";
    }

    for (const segment of segmentsOf(statements)) {
      const pending = segment.statements.filter((s) => history.get(s.index)?.status !== "applied");
      if (pending.length === 0) continue;
      if (segment.transactional) await applyTransaction(client, pending, opts, outputs, notices, fail);
      else await applyAlone(client, pending[0]!, opts, outputs, notices, history.get(pending[0]!.index), fail);
      const applied = (await readTargetHistory(client, opts.changeKey)).filter((r) => r.status === "applied").map(toApplied);
      await opts.onProgress?.(outputs, applied);
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext($1))", [opts.changeKey]).catch(() => {});
    client.off("notice", onNotice);
  }
  return outputs;
}

async function setTimeouts(client: pg.ClientBase, opts: ApplyOptions, local: boolean) {
  const scope = local ? "SET LOCAL" : "SET";
  await client.query(`${scope} lock_timeout = ${Math.max(1, Math.floor(opts.lockTimeoutMs))}`);
  await client.query(`${scope} statement_timeout = ${Math.max(1, Math.floor(opts.statementTimeoutMs))}`);
}

const INSERT_HISTORY = `INSERT INTO ${HISTORY_TABLE}
  (change_key, change_request_id, version, kind, stage_id, statement_index, statement_hash, statement, status, applied_by, duration_ms, row_count)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;

function historyParams(opts: ApplyOptions, s: MigrationStatement, status: string, durationMs: number | null, rowCount: number | null) {
  return [opts.changeKey, opts.changeRequestId, opts.version, opts.kind, opts.stageId, s.index, statementHash(s.text), s.text, status, opts.appliedBy, durationMs, rowCount];
}

async function applyTransaction(
  client: pg.Client,
  pending: MigrationStatement[],
  opts: ApplyOptions,
  outputs: StatementOutput[],
  notices: string[],
  fail: (message: string) => never,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let current: MigrationStatement | undefined;
    const done: { s: MigrationStatement; durationMs: number; rowCount: number | null; command: string | null; notices: string[] }[] = [];
    try {
      await client.query("BEGIN");
      await setTimeouts(client, opts, true);
      for (const s of pending) {
        current = s;
        notices.length = 0;
        const t0 = performance.now();
        const res = lastResult(await client.query(s.text));
        const durationMs = Math.round(performance.now() - t0);
        done.push({ s, durationMs, rowCount: res.rowCount ?? null, command: res.command ?? null, notices: [...notices] });
        await client.query(INSERT_HISTORY, historyParams(opts, s, "applied", durationMs, res.rowCount ?? null));
      }
      await client.query("COMMIT");
      for (const d of done) {
        Object.assign(outputs.find((o) => o.index === d.s.index)!, {
          status: "applied",
          durationMs: d.durationMs,
          rowCount: d.rowCount,
          command: d.command,
          attempts: attempt + 1,
          notices: d.notices,
          message: null,
        });
      }
      return;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      const s = current ?? pending[0]!;
      const out = outputs.find((o) => o.index === s.index)!;
      out.attempts = attempt + 1;
      if (isLockTimeout(err) && attempt < opts.lockRetries) {
        out.message = `lock timeout on attempt ${attempt + 1}: retrying`;
        await sleep(opts.retryBackoffMs * 2 ** attempt);
        continue;
      }
      const pos = positionInMigration(s, Number((err as { position?: string }).position) || undefined);
      out.status = "failed";
      out.line = pos.line;
      out.message = pgErrorText(err as Error, opts);
      const tries = isLockTimeout(err) ? ` after ${attempt + 1} attempt(s)` : "";
      const rolledBack = pending.length > 1 ? `; the ${pending.length} statements of its transaction were rolled back, none applied` : "; it was rolled back";
      fail(`statement ${s.index + 1} (line ${pos.line}, column ${pos.column}) failed${tries}: ${out.message}${rolledBack}`);
    }
  }
}

async function applyAlone(
  client: pg.Client,
  s: MigrationStatement,
  opts: ApplyOptions,
  outputs: StatementOutput[],
  notices: string[],
  previous: HistoryRow | undefined,
  fail: (message: string) => never,
): Promise<void> {
  const out = outputs.find((o) => o.index === s.index)!;
  const indexName = concurrentIndexName(s.text);
  if (previous?.status === "started") {
    // A worker died while this statement ran. Only an index build can be checked from the catalog.
    if (!indexName) {
      fail(`statement ${s.index + 1} (line ${s.startLine}) was interrupted earlier and cannot run in a transaction: dbmesh cannot tell whether it took effect, so it will not run it again; check the target and fix it by hand`);
    }
    const state = await indexState(client, indexName!);
    if (state === "valid") {
      await client.query(`UPDATE ${HISTORY_TABLE} SET status = 'applied' WHERE change_key = $1 AND statement_index = $2`, [opts.changeKey, s.index]);
      Object.assign(out, { status: "applied", message: "completed before the worker was interrupted; recorded now", attempts: 1 });
      return;
    }
    if (state === "invalid") await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${indexName}`);
    await client.query(`DELETE FROM ${HISTORY_TABLE} WHERE change_key = $1 AND statement_index = $2`, [opts.changeKey, s.index]);
  }
  await client.query(INSERT_HISTORY, historyParams(opts, s, "started", null, null));
  await setTimeouts(client, opts, false);
  try {
    for (let attempt = 0; ; attempt++) {
      out.attempts = attempt + 1;
      notices.length = 0;
      const t0 = performance.now();
      try {
        const res = lastResult(await client.query(s.text));
        const durationMs = Math.round(performance.now() - t0);
        await client.query(`UPDATE ${HISTORY_TABLE} SET status = 'applied', duration_ms = $3, row_count = $4, applied_at = now() WHERE change_key = $1 AND statement_index = $2`, [
          opts.changeKey,
          s.index,
          durationMs,
          res.rowCount ?? null,
        ]);
        Object.assign(out, { status: "applied", durationMs, rowCount: res.rowCount ?? null, command: res.command ?? null, notices: [...notices], message: "ran outside a transaction" });
        return;
      } catch (err) {
        // A failed CREATE INDEX CONCURRENTLY leaves an invalid index behind: remove it before anything else.
        if (indexName && (await indexState(client, indexName)) === "invalid") await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${indexName}`);
        if (isLockTimeout(err) && attempt < opts.lockRetries) {
          out.message = `lock timeout on attempt ${attempt + 1}: retrying`;
          await sleep(opts.retryBackoffMs * 2 ** attempt);
          continue;
        }
        await client.query(`DELETE FROM ${HISTORY_TABLE} WHERE change_key = $1 AND statement_index = $2 AND status = 'started'`, [opts.changeKey, s.index]);
        const pos = positionInMigration(s, Number((err as { position?: string }).position) || undefined);
        out.status = "failed";
        out.line = pos.line;
        out.message = pgErrorText(err as Error, opts);
        fail(`statement ${s.index + 1} (line ${pos.line}, column ${pos.column}) failed${isLockTimeout(err) ? ` after ${attempt + 1} attempt(s)` : ""}: ${out.message}; it ran outside a transaction and left nothing behind`);
      }
    }
  } finally {
    await client.query("RESET lock_timeout; RESET statement_timeout").catch(() => {});
  }
}

async function indexState(client: pg.ClientBase, name: string): Promise<"valid" | "invalid" | "missing"> {
  const { rows } = await client.query<{ valid: boolean }>(
    "SELECT x.indisvalid AS valid FROM pg_index x WHERE x.indexrelid = to_regclass($1)",
    [name],
  );
  if (rows.length === 0) return "missing";
  return rows[0]!.valid ? "valid" : "invalid";
}
