import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { eventMiddle, RecordedEvent } from "../apps/agent/src/audit/audit-event";
import { loadMappedFile } from "../apps/agent/src/audit/mapped-file";
import { AuditRecorder } from "../apps/agent/src/audit/recorder";
import { AuditSpool } from "../apps/agent/src/audit/spool";
const WHO = '"virtualDatabase":"dbmesh_bench","credential":"bench_app","clientAddress":"127.0.0.1:50432","applicationName":"pgbench"';
const WHAT = '"statement":"SELECT abalance FROM pgbench_accounts WHERE aid = $1","fingerprint":"3f2a9c0d11e4b5a7","kind":"select","tables":[{"schema":null,"name":"pgbench_accounts","operation":"select"}]';
const MIDDLE = eventMiddle(WHO, WHAT, "allowed", "bench-read", "pg-bench");
const PER_TURN = Number(process.env.PER_TURN ?? 2);
for (const round of [1, 2, 3]) for (const mode of ["write", "mmap"]) {
  const dir = mkdtempSync(join(tmpdir(), "dbmesh-mm-"));
  const spool = AuditSpool.open({ dir, maxBytes: 8 << 30, sealAfterMs: 200, mapped: mode === "mmap" ? loadMappedFile().addon : null });
  const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 1_000_000 });
  const N = 300_000;
  const u0 = process.cpuUsage(); const t0 = performance.now();
  let n = 0;
  while (n < N) {
    for (let i = 0; i < PER_TURN; i++, n++) recorder.record(new RecordedEvent(Date.now(), MIDDLE, 412, 1, null));
    // pace like a ~15k events/s agent: one turn per ~130 µs on average
    await new Promise((r) => setImmediate(r));
    if (spool.sealIfDue()) { const name = spool.peek(); if (name) await spool.remove(name); }
  }
  recorder.commit();
  const u = process.cpuUsage(u0); const ms = performance.now() - t0;
  console.log(`round ${round} ${mode.padEnd(5)} user ${(u.user / N * 1000).toFixed(0)} ns/event  sys ${(u.system / N * 1000).toFixed(0)} ns/event  wall ${(ms * 1e6 / N).toFixed(0)} ns/event`);
  await spool.close();
  rmSync(dir, { recursive: true, force: true });
}
