import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { eventMiddle, RecordedEvent } from "./audit-event";
import { AuditRecorder } from "./recorder";
import { type AuditPostResult, AuditSender } from "./sender";
import { AuditSpool } from "./spool";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "dbmesh-spool-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const line = (i: number) => Buffer.from(`{"n":${i}}\n`);
const MIDDLE = eventMiddle('"virtualDatabase":"v","credential":"c","clientAddress":null,"applicationName":null', '"statement":"SELECT $1","fingerprint":"0000000000000000","kind":"select","tables":[]', "allowed", null, "b");
const event = () => new RecordedEvent(Date.now(), MIDDLE, 1, 1, null);

describe("AuditSpool", () => {
  it("appends, seals, hands segments out oldest first and deletes them once acknowledged", async () => {
    const dir = tempDir();
    const spool = AuditSpool.open({ dir, maxBytes: 1 << 20, sealAfterMs: 0 });
    expect(spool.append(line(1), 1)).toBe(true);
    expect(spool.append(line(2), 1)).toBe(true);
    expect(spool.sealIfDue()).toBe(true);
    spool.append(line(3), 1);
    spool.sealIfDue();
    expect(spool.pendingSegments).toBe(2);
    const first = spool.peek()!;
    expect((await spool.read(first)).toString()).toBe('{"n":1}\n{"n":2}\n');
    await spool.remove(first);
    expect(spool.bytes).toBe(line(3).length);
    await spool.close();
  });

  it("refuses appends beyond its size bound", () => {
    const spool = AuditSpool.open({ dir: tempDir(), maxBytes: 15, sealAfterMs: 1000 });
    expect(spool.append(line(1), 1)).toBe(true);
    expect(spool.append(line(22), 1)).toBe(false);
    expect(spool.bytes).toBe(line(1).length);
  });

  it("after a restart, every segment left behind is queued again and new ones come after it", async () => {
    const dir = tempDir();
    const a = AuditSpool.open({ dir, maxBytes: 1 << 20, sealAfterMs: 1000 });
    a.append(line(1), 1); // never sealed: the process "died"
    const b = AuditSpool.open({ dir, maxBytes: 1 << 20, sealAfterMs: 0 });
    expect(b.pendingSegments).toBe(1);
    expect(b.bytes).toBe(line(1).length);
    b.append(line(2), 1);
    b.sealIfDue();
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(2);
    expect(b.peek()).toBe(names[0]);
    await b.close();
  });
});

describe("AuditRecorder", () => {
  it("writes a turn's events with one append and releases the sessions waiting on them", async () => {
    const spool = AuditSpool.open({ dir: tempDir(), maxBytes: 1 << 20, sealAfterMs: 1000 });
    const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 10 });
    const seq = recorder.record(event());
    let released = false;
    expect(recorder.holdUntilWritten(seq, () => (released = true))).toBe(true);
    expect(spool.bytes).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(true);
    expect(spool.bytes).toBeGreaterThan(0);
    expect(recorder.holdUntilWritten(seq, () => {})).toBe(false);
    expect(recorder.counters).toEqual({ spooled: 1, dropped: 0 });
  });

  it("drops and counts when the spool is full, never holding anyone back, and raises the dropping alarm", async () => {
    const spool = AuditSpool.open({ dir: tempDir(), maxBytes: 4096, sealAfterMs: 1000 });
    const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 100_000 });
    for (let i = 0; i < 100; i++) recorder.record(event());
    await new Promise((r) => setImmediate(r));
    expect(recorder.counters.dropped).toBe(100);
    expect(recorder.droppingSince).not.toBeNull();
    for (let i = 0; i < 5; i++) recorder.record(event());
    recorder.commit();
    expect(recorder.counters.spooled).toBe(5);
  });
});

describe("batchBody", () => {
  it("turns a segment's lines into one JSON batch without parsing them", async () => {
    const { batchBody } = await import("./sender");
    const { body, events } = batchBody(Buffer.from('{"id":"a","s":"x\\ny"}\n{"id":"b"}\n'));
    expect(events).toBe(2);
    expect(JSON.parse(body.toString())).toEqual({ events: [{ id: "a", s: "x\ny" }, { id: "b" }] });
    expect(batchBody(Buffer.alloc(0)).events).toBe(0);
  });
});

describe("AuditSender", () => {
  async function sendAll(spool: AuditSpool, post: (body: Buffer | string) => Promise<AuditPostResult>): Promise<void> {
    const sender = new AuditSender({ spool, post, log: pino({ level: "silent" }), onSent: () => {}, onRejected: () => {}, pollMs: 10 });
    sender.start();
    const deadline = Date.now() + 5_000;
    while (spool.pendingSegments > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await sender.stop();
  }

  it("sends each segment as its own batch, oldest first, building every body in the one buffer it keeps", async () => {
    const spool = AuditSpool.open({ dir: tempDir(), maxBytes: 1 << 20, sealAfterMs: 0 });
    const sizes = [3, 1, 2];
    let n = 0;
    for (const size of sizes) {
      for (let i = 0; i < size; i++) spool.append(line(++n), 1);
      spool.sealIfDue();
    }
    const bodies: string[] = [];
    const buffers = new Set<ArrayBufferLike>();
    await sendAll(spool, async (body) => {
      // Read now: the sender reuses the buffer for the next batch once this post resolved.
      bodies.push(body.toString());
      if (Buffer.isBuffer(body)) buffers.add(body.buffer);
      await new Promise((r) => setTimeout(r, 5));
      return { ok: true, accepted: 0 };
    });
    expect(bodies.map((b) => JSON.parse(b) as unknown)).toEqual([
      { events: [{ n: 1 }, { n: 2 }, { n: 3 }] },
      { events: [{ n: 4 }] },
      { events: [{ n: 5 }, { n: 6 }] },
    ]);
    expect(buffers.size).toBe(1);
    expect(spool.bytes).toBe(0);
  });

  it("after a 400, resends the segment's whole lines from the file (the body was built over the buffer) and drops a torn one", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "0000000000000001.ndjson"), '{"n":1}\n{"n":2}\n{"n":');
    const spool = AuditSpool.open({ dir, maxBytes: 1 << 20, sealAfterMs: 0 });
    const bodies: string[] = [];
    await sendAll(spool, async (body) => {
      bodies.push(body.toString());
      return bodies.length === 1 ? { ok: false, status: 400, message: "invalid JSON" } : { ok: true, accepted: 2 };
    });
    expect(bodies).toEqual(['{"events":[{"n":1},{"n":2},{"n":]}', '{"events":[{"n":1},{"n":2}]}']);
    expect(spool.pendingSegments).toBe(0);
  });
});

describe("AuditRecorder, batched (DBMESH_AGENT_AUDIT_BATCH_MS)", () => {
  it("holds no result and writes the events of many turns with one append", async () => {
    const spool = AuditSpool.open({ dir: tempDir(), maxBytes: 1 << 20, sealAfterMs: 1000 });
    const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 1000, batchMs: 30 });
    expect(recorder.record(event())).toBe(0); // nothing to wait for
    await new Promise((r) => setImmediate(r));
    recorder.record(event());
    expect(spool.bytes).toBe(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(recorder.counters.spooled).toBe(2);
    expect(spool.bytes).toBeGreaterThan(0);
  });
});
