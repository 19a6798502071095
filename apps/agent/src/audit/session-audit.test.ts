import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSqlAnalyzer, type SqlAnalyzer } from "@dbmesh/sql";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { StatementDecision } from "../governance/statement-decision";
import { Backend } from "../pg/protocol";
import { spoolEvents } from "../testing/spool-events";
import { DEFAULT_AUDIT_POLICY } from "./policy";
import { AuditRecorder } from "./recorder";
import { SessionAudit } from "./session-audit";
import { AuditSpool } from "./spool";

// How a session's answers are matched to its statements when they are pipelined: by cycle (one per
// Query/Sync), so that an error answering one cycle is never pinned on a statement of another, and what the
// server skipped after an error gets no event.

let analyzer: SqlAnalyzer;
const dirs: string[] = [];
beforeAll(async () => {
  analyzer = await loadSqlAnalyzer();
});
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "dbmesh-session-audit-"));
  dirs.push(dir);
  const spool = AuditSpool.open({ dir, maxBytes: 1 << 20, sealAfterMs: 0 });
  const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 1000 });
  const audit = new SessionAudit({ recorder, analyzer, policy: DEFAULT_AUDIT_POLICY, virtualDatabase: "v", credential: "c", clientAddress: "127.0.0.1:1", applicationName: null });
  const events = () => {
    recorder.commit();
    return readdirSync(dir).flatMap((f) => spoolEvents(readFileSync(join(dir, f), "utf8")) as { statement: string; rows: number | null; sqlstate: string | null; decision: string }[]);
  };
  return { audit, events };
}

const tag = (text: string) => {
  const body = Buffer.from(`${text}\0`);
  const buf = Buffer.alloc(5 + body.length);
  buf[0] = Backend.CommandComplete;
  buf.writeInt32BE(4 + body.length, 1);
  body.copy(buf, 5);
  return buf;
};
const error = (code: string) => {
  const body = Buffer.from(`SERROR\0C${code}\0Mboom\0\0`);
  const buf = Buffer.alloc(5 + body.length);
  buf[0] = Backend.ErrorResponse;
  buf.writeInt32BE(4 + body.length, 1);
  body.copy(buf, 5);
  return buf;
};
const answer = (audit: SessionAudit, msg: Buffer) => audit.onResult(msg[0]!, msg.readInt32BE(1), msg, 0);
const portal = Buffer.from("\0");

describe("SessionAudit", () => {
  it("matches pipelined answers by cycle: a Parse error of one cycle is not pinned on the next cycle's statement", () => {
    const { audit, events } = setup();
    // Cycle 1: Parse + Sync only (no Execute). Cycle 2: Bind + Execute of a good statement.
    audit.sentSync();
    audit.bound(portal, 0, 0, "SELECT 1", analyzer.analyze("SELECT 1"));
    audit.sentExecute(portal, 0, 1, "b1");
    audit.sentSync();
    answer(audit, error("42601")); // answers cycle 1's Parse
    audit.onReady();
    answer(audit, tag("SELECT 1"));
    audit.onReady();
    expect(events().map((e) => [e.statement, e.rows, e.sqlstate])).toEqual([["SELECT $1", 1, null]]);
  });

  it("records the failing statement of a multi-statement Query and none of those the server skipped", () => {
    const { audit, events } = setup();
    const sql = "INSERT INTO t VALUES (1); SELECT 1/0; UPDATE t SET v = 2";
    audit.sentQuery(sql, analyzer.analyze(sql), "b1");
    audit.sentSync();
    answer(audit, tag("INSERT 0 1"));
    answer(audit, error("22012"));
    audit.onReady();
    expect(events().map((e) => [e.statement, e.rows, e.sqlstate])).toEqual([
      ["INSERT INTO t VALUES ($1)", 1, null],
      ["SELECT $1/$2", null, "22012"],
    ]);
  });

  it("records a refusal as denied with its rule, and statements in flight when the client leaves with no outcome", () => {
    const { audit, events } = setup();
    audit.consider("DROP TABLE t", analyzer.analyze("DROP TABLE t"));
    audit.refused("42501", 'statement refused by circuit break "no-drop"', undefined, undefined, null);
    audit.sentQuery("SELECT pg_sleep(10)", analyzer.analyze("SELECT pg_sleep(10)"), "b1");
    audit.sentSync();
    audit.closed();
    const got = events() as unknown as Record<string, unknown>[];
    expect(got.map((e) => [e.statement, e.decision, e.rule, e.sqlstate, e.durationUs])).toEqual([
      ["DROP TABLE t", "denied", "no-drop", "42501", null],
      ["SELECT pg_sleep($1)", "allowed", null, null, null],
    ]);
  });

  it("writes batch after batch through the recorder's reused buffer, and a batch too large for it whole", () => {
    const { audit, events } = setup();
    const run = (sql: string) => {
      audit.sentQuery(sql, analyzer.analyze(sql), "b1");
      audit.sentSync();
      answer(audit, tag("SELECT 1"));
      audit.onReady();
    };
    run("SELECT 'a much longer first statement, so that a shorter next one would show its tail' AS x FROM t");
    expect(events()).toHaveLength(1);
    run("SELECT 1");
    expect(events().map((e) => e.statement)).toEqual(["SELECT $1 AS x FROM t", "SELECT $1"]);
    // One event of ~100,000 characters, non-ASCII included: more than the reused buffer holds.
    const wide = `SELECT ${Array.from({ length: 10_500 }, (_, i) => `"é${i}"`).join(", ")} FROM t`;
    run(wide);
    const last = events().at(-1)!;
    expect(last.statement.length).toBeGreaterThan(256 * 1024 / 3);
    expect(last.statement.startsWith('SELECT "é0", "é1"')).toBe(true);
  });

  it("gives each event its own shape's part as decisions, backends and tables change between runs of one shape", () => {
    const { audit, events } = setup();
    const decision = (schema: string, rule: string | null): StatementDecision => ({
      kind: "select",
      tables: [{ schema, name: "t", operation: "select", allowed: true, rule }],
      allowed: true,
      rule,
      reason: "",
      sqlstate: null,
    });
    const inPublic = decision("public", "r1");
    // Only their tables' schemas tell these two apart.
    const inApp = decision("app", "r1");
    const otherRule = decision("public", "r2");
    const run = (id: number, backend: string, d: StatementDecision | null) => {
      const sql = `SELECT * FROM t WHERE id = ${id}`;
      audit.sentQuery(sql, analyzer.analyze(sql), backend, d);
      audit.sentSync();
      answer(audit, tag("SELECT 1"));
      audit.onReady();
    };
    // One analysis (the literals differ) under each combination, then each again: a kept part found by identity
    // must be the one made for the same decision object and backend.
    const runs: [number, string, StatementDecision | null][] = [
      [1, "b1", inPublic],
      [2, "b1", inApp],
      [3, "b2", inApp],
      [4, "b2", null],
      [5, "b1", inPublic],
      [6, "b2", inApp],
      [7, "b2", null],
      [8, "b1", inApp],
      [9, "b1", otherRule],
      [10, "b1", inPublic],
    ];
    for (const [id, backend, d] of runs) run(id, backend, d);
    const got = events() as unknown as { statement: string; backend: string; rule: string | null; tables: { schema: string | null }[] }[];
    expect(got.map((e) => [e.statement, e.backend, e.rule, e.tables.map((t) => t.schema)])).toEqual(
      runs.map(([, backend, d]) => ["SELECT * FROM t WHERE id = $1", backend, d?.rule ?? null, [d === null ? null : d.tables[0]!.schema]]),
    );
  });
});
