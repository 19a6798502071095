// What does the SQL audit trail cost the agent per statement, outside the network? Drives one session's audit
// (SessionAudit → AuditRecorder → AuditSpool on disk) through pgbench's select-only statement, answered and
// committed the way the agent does at -c 8 (a few events per event-loop turn), and prints ns per event.
//   npm run bench:agent-audit   (BENCH_EVENTS, BENCH_EVENTS_PER_TURN)
// Measured so: ~5 µs per event on this 2-core box, of which the spool write(2) (and its contention with the
// group fdatasync) and garbage collection are the largest parts; the statement analysis lookup is included.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { AuditRecorder } from "../apps/agent/src/audit/recorder";
import { SessionAudit } from "../apps/agent/src/audit/session-audit";
import { AuditSpool } from "../apps/agent/src/audit/spool";
import { DEFAULT_AUDIT_POLICY } from "../apps/agent/src/audit/policy";
import { Backend } from "../apps/agent/src/pg/protocol";
import { loadSqlAnalyzer } from "../packages/sql/src/index";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const PER_TURN = Number(process.env.BENCH_EVENTS_PER_TURN ?? 4);

const analyzer = await loadSqlAnalyzer();
const dir = mkdtempSync(join(tmpdir(), "dbmesh-audit-bench-"));
const spool = AuditSpool.open({ dir, maxBytes: 8 * 2 ** 30, sealAfterMs: 1_000 });
const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 100_000 });
const sessions = Array.from({ length: PER_TURN }, (_, i) =>
  new SessionAudit({ recorder, analyzer, policy: { ...DEFAULT_AUDIT_POLICY, mode: "all" }, virtualDatabase: "bench", credential: "bench", clientAddress: `127.0.0.1:${40000 + i}`, applicationName: "pgbench" }),
);
function message(type: number, body: string): Buffer {
  const b = Buffer.from(body);
  const buf = Buffer.alloc(5 + b.length);
  buf[0] = type;
  buf.writeInt32BE(4 + b.length, 1);
  b.copy(buf, 5);
  return buf;
}
const complete = message(Backend.CommandComplete, "SELECT 1\0");

function run(n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i += PER_TURN) {
    for (let s = 0; s < PER_TURN; s++) {
      const audit = sessions[s]!;
      const sql = `SELECT abalance FROM pgbench_accounts WHERE aid = ${(i + s) % 1_000_000};`;
      audit.sentQuery(sql, analyzer.analyze(sql), "pg-bench");
      audit.sentSync();
      audit.onResult(complete[0]!, complete.readInt32BE(1), complete, 0);
      audit.onReady();
    }
    recorder.commit();
    spool.sealIfDue();
  }
  return Number(process.hrtime.bigint() - t0) / n;
}
run(EVENTS / 4); // warm up
const samples = [run(EVENTS), run(EVENTS), run(EVENTS)].sort((a, b) => a - b);
rmSync(dir, { recursive: true, force: true });
const gc = process.memoryUsage();
console.log(`audit record + spool: ${samples[1]!.toFixed(0)} ns per event (${PER_TURN} events per commit; heap ${Math.round(gc.heapUsed / 1e6)} MB)`);
console.log(JSON.stringify({ ns_per_event: Math.round(samples[1]!), events_per_commit: PER_TURN }));
