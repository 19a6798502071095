// npx tsx bench/audit-record.ts — what the SQL audit costs on the agent's thread, per event and per event-loop
// turn, for both ways to the spool: memory-mapped segments (recording writes the event's line into the mapping:
// that is all), and write(2) (recording pushes onto a batch, then once per turn the batch is serialized and
// written with one write(2) into the page cache, which is what a client's result waits for). No network, no
// server: the agent's own code on a temp directory. Prints a table, then one JSON object as the last line. Noisy
// on a shared box: compare runs made back to back.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { eventPart, RecordedEvent } from "../apps/agent/src/audit/audit-event";
import { loadMappedFile } from "../apps/agent/src/audit/mapped-file";
import { AuditRecorder } from "../apps/agent/src/audit/recorder";
import { AuditSpool } from "../apps/agent/src/audit/spool";

const WHO = '"virtualDatabase":"dbmesh_bench","credential":"bench_app","clientAddress":"127.0.0.1:50432","applicationName":"pgbench"';
const WHAT =
  '"statement":"SELECT abalance FROM pgbench_accounts WHERE aid = $1","fingerprint":"3f2a9c0d11e4b5a7","kind":"select","tables":[{"schema":null,"name":"pgbench_accounts","operation":"select"}]';

const PART = eventPart(WHO, WHAT, "allowed", "bench-read", "pg-bench");

const mapped = loadMappedFile().addon;
if (mapped === null) console.error(`[audit-record] ${loadMappedFile().reason}: write(2) only`);
const rows: { spool: string; batch: number; record_ns_per_event: number; commit_us_per_turn: number; commit_ns_per_event: number }[] = [];
for (const mode of mapped === null ? ["write"] : ["mmap", "write"]) {
  const dir = mkdtempSync(join(tmpdir(), "dbmesh-audit-bench-"));
  try {
    const spool = AuditSpool.open({ dir, maxBytes: 8 << 30, sealAfterMs: 200, mapped: mode === "mmap" ? mapped : null });
    const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 1_000_000 });
    for (const batch of [1, 8, 32, 128]) {
      const turns = Math.max(200, Math.floor(40_000 / batch));
      let recordNs = 0n;
      let commitNs = 0n;
      for (let t = 0; t < turns + 50; t++) {
        const r0 = process.hrtime.bigint();
        for (let i = 0; i < batch; i++) recorder.record(new RecordedEvent(Date.now(), PART, 412, 1, null));
        const c0 = process.hrtime.bigint();
        recorder.commit();
        const c1 = process.hrtime.bigint();
        if (t >= 50) {
          recordNs += c0 - r0;
          commitNs += c1 - c0;
        }
        // Sealed segments are deleted as the sender would once acknowledged, so that the disk holds what the agent's would.
        if (spool.sealIfDue()) await spool.remove(spool.peek()!);
        // Yield as the agent does between turns, so that the spool's grouped fdatasync runs as it would there.
        await new Promise((r) => setImmediate(r));
      }
      rows.push({
        spool: mode,
        batch,
        record_ns_per_event: Number(recordNs / BigInt(turns * batch)),
        commit_us_per_turn: Number(commitNs / BigInt(turns)) / 1000,
        commit_ns_per_event: Number(commitNs / BigInt(turns * batch)),
      });
    }
    await spool.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log("spool  events/turn  record ns/event  commit µs/turn  commit ns/event");
for (const r of rows) {
  console.log(`${r.spool.padEnd(5)}  ${String(r.batch).padStart(11)}  ${String(r.record_ns_per_event).padStart(15)}  ${r.commit_us_per_turn.toFixed(1).padStart(14)}  ${String(r.commit_ns_per_event).padStart(15)}`);
}
console.log(JSON.stringify({ audit_record: rows }));
