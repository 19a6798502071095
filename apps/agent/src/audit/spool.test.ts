import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { spoolEvents } from "../testing/spool-events";
import { eventPart, RecordedEvent } from "./audit-event";
import { loadMappedFile, type MappedFileAddon } from "./mapped-file";
import { AuditRecorder } from "./recorder";
import { type AuditPostResult, AuditSender } from "./sender";
import { AuditSpool, SEGMENT_MAX_BYTES } from "./spool";

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
const PART = eventPart('"virtualDatabase":"v","credential":"c","clientAddress":null,"applicationName":null', '"statement":"SELECT $1","fingerprint":"0000000000000000","kind":"select","tables":[]', "allowed", null, "b");
const event = () => new RecordedEvent(Date.now(), PART, 1, 1, null);

// The addon is built wherever npm test runs (scripts/prepare.sh); mapped-file.test.ts fails if it is not.
const mappedAddon = loadMappedFile().addon;
const modes: [string, MappedFileAddon | null][] = [["write(2)", null]];
if (mappedAddon !== null) modes.push(["memory-mapped", mappedAddon]);

describe.each(modes)("AuditSpool, %s", (_, mapped) => {
  it("appends, seals, hands segments out oldest first and deletes them once acknowledged", async () => {
    const dir = tempDir();
    const spool = AuditSpool.open({ dir, maxBytes: 1 << 20, sealAfterMs: 0, mapped });
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
    const spool = AuditSpool.open({ dir: tempDir(), maxBytes: 15, sealAfterMs: 1000, mapped });
    expect(spool.append(line(1), 1)).toBe(true);
    expect(spool.append(line(22), 1)).toBe(false);
    expect(spool.bytes).toBe(line(1).length);
  });

  it("after a restart, every segment left behind is queued again and new ones come after it", async () => {
    const dir = tempDir();
    const a = AuditSpool.open({ dir, maxBytes: 1 << 20, sealAfterMs: 1000, mapped });
    a.append(line(1), 1); // never sealed: the process "died"
    const b = AuditSpool.open({ dir, maxBytes: 1 << 20, sealAfterMs: 0, mapped });
    expect(b.pendingSegments).toBe(1);
    expect(b.bytes).toBe(line(1).length);
    b.append(line(2), 1);
    b.sealIfDue();
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(2);
    expect(b.peek()).toBe(names[0]);
    await b.close();
  });

  it("opens a segment left with a torn last line (or the zeros of a mapped one) cut back to its whole lines", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "0000000000000001.ndjson"), Buffer.concat([line(1), line(2), Buffer.from('{"n":'), Buffer.alloc(4096)]));
    writeFileSync(join(dir, "0000000000000002.ndjson"), Buffer.concat([line(3), Buffer.alloc(100)]));
    writeFileSync(join(dir, "0000000000000003.ndjson"), Buffer.alloc(8192)); // opened, never written
    writeFileSync(join(dir, "0000000000000004.ndjson"), ""); // killed before it was reserved
    const spool = AuditSpool.open({ dir, maxBytes: 1 << 20, sealAfterMs: 0, mapped });
    expect(spool.pendingSegments).toBe(2);
    expect(spool.bytes).toBe(line(1).length + line(2).length + line(3).length);
    expect((await spool.read(spool.peek()!)).toString()).toBe('{"n":1}\n{"n":2}\n');
    await spool.remove(spool.peek()!);
    expect((await spool.read(spool.peek()!)).toString()).toBe('{"n":3}\n');
    expect(readdirSync(dir).filter((f) => f === "0000000000000003.ndjson" || f === "0000000000000004.ndjson")).toEqual([]);
    await spool.close();
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

  it("counts events, not the shared parts they name", async () => {
    const { batchBody } = await import("./sender");
    const { body, events } = batchBody(Buffer.from('{"part":0,"s":"x"}\n{"id":"a","part":0}\n{"part":1,"s":"y"}\n{"id":"b","part":1}\n{"id":"c","part":0}\n'));
    expect(events).toBe(3);
    expect((JSON.parse(body.toString()) as { events: unknown[] }).events).toHaveLength(5);
    expect(batchBody(Buffer.from('{"part":0,"s":"x"}\n')).events).toBe(0);
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

  it("after a 400, resends the segment's valid lines from the file (the body was built over the buffer) and drops the invalid one", async () => {
    const dir = tempDir();
    // A torn last line is cut off when the spool opens (see above); a whole line can still be invalid.
    writeFileSync(join(dir, "0000000000000001.ndjson"), '{"n":1}\n{"n":\n{"n":2}\n');
    const spool = AuditSpool.open({ dir, maxBytes: 1 << 20, sealAfterMs: 0 });
    const bodies: string[] = [];
    await sendAll(spool, async (body) => {
      bodies.push(body.toString());
      return bodies.length === 1 ? { ok: false, status: 400, message: "invalid JSON" } : { ok: true, accepted: 2 };
    });
    expect(bodies).toEqual(['{"events":[{"n":1},{"n":,{"n":2}]}', '{"events":[{"n":1},{"n":2}]}']);
    expect(spool.pendingSegments).toBe(0);
  });
});

describe.each(modes)("AuditRecorder and shared parts, %s", (_, mapped) => {
  it("defines a part once per segment, and again in the next segment, so that every segment resolves on its own", async () => {
    const spool = AuditSpool.open({ dir: tempDir(), maxBytes: 1 << 30, sealAfterMs: 1e9, mapped });
    const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 100_000 });
    const other = eventPart('"virtualDatabase":"v","credential":"c","clientAddress":null,"applicationName":null', '"statement":"SELECT 2","fingerprint":"1","kind":"select","tables":[]', "denied", "r", null);
    // Two segments' worth (5,000 events each) and some: each turn a batch (write(2)) or each event at once (mapped).
    for (let i = 0; i < 12_000; i++) {
      recorder.record(new RecordedEvent(Date.now(), i % 3 === 0 ? other : PART, i, 1, null));
      if (i % 500 === 499) recorder.commit();
    }
    recorder.commit();
    spool.sealIfDue(Number.POSITIVE_INFINITY);
    const perSegment: { events: number; parts: number }[] = [];
    const durations: unknown[] = [];
    for (let name = spool.peek(); name !== null; name = spool.peek()) {
      const text = (await spool.read(name)).toString();
      const events = spoolEvents(text);
      durations.push(...events.map((e) => e.durationUs));
      perSegment.push({ events: events.length, parts: text.split("\n").filter((l) => l.startsWith('{"part"')).length });
      expect(events.filter((e) => e.statement === "SELECT 2").every((e) => e.decision === "denied" && e.rule === "r")).toBe(true);
      await spool.remove(name);
    }
    expect(perSegment).toEqual([
      { events: 5000, parts: 2 },
      { events: 5000, parts: 2 },
      { events: 2000, parts: 2 },
    ]);
    expect(durations).toEqual(Array.from({ length: 12_000 }, (_, i) => i));
    await spool.close();
  });
});

describe.each(modes)("AuditRecorder and a full spool, %s", (_, mapped) => {
  it("defines again a part whose definition was dropped with its events, so that the open segment still resolves", async () => {
    const spool = AuditSpool.open({ dir: tempDir(), maxBytes: 8 * 1024, sealAfterMs: 1e9, mapped });
    const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 100_000 });
    const record = (part = PART) => {
      recorder.record(new RecordedEvent(Date.now(), part, 1, 1, null));
      recorder.commit();
    };
    // A first segment, sealed, that the console has not acknowledged yet.
    while (spool.bytes < 4 * 1024) record();
    spool.sealIfDue(Number.POSITIVE_INFINITY);
    const sealed = spool.peek()!;
    // The open one fills up; a new part comes exactly when nothing fits any more.
    while (recorder.counters.dropped === 0) record();
    const late = eventPart('"virtualDatabase":"v","credential":"c","clientAddress":null,"applicationName":null', '"statement":"SELECT 3","fingerprint":"3","kind":"select","tables":[]', "allowed", null, "b");
    record(late);
    expect(recorder.counters.dropped).toBe(2);
    // Acknowledged: room again, in the same open segment.
    await spool.remove(sealed);
    record(late);
    record();
    spool.sealIfDue(Number.POSITIVE_INFINITY);
    const events = spoolEvents((await spool.read(spool.peek()!)).toString());
    expect(events.slice(-2).map((e) => e.statement)).toEqual(["SELECT 3", "SELECT $1"]);
    await spool.close();
  });
});

describe.skipIf(mappedAddon === null)("memory-mapped segments", () => {
  it("reserve a whole segment on disk while open and shrink to their lines when sealed", async () => {
    const dir = tempDir();
    const spool = AuditSpool.open({ dir, maxBytes: 1 << 30, sealAfterMs: 0, mapped: mappedAddon });
    spool.append(line(1), 1);
    const [name] = readdirSync(dir);
    expect(statSync(join(dir, name!)).size).toBe(SEGMENT_MAX_BYTES);
    // In the file at once, with no write(2): another process reading it sees the line.
    expect(readFileSync(join(dir, name!)).subarray(0, line(1).length).toString()).toBe('{"n":1}\n');
    const map = spool.map;
    expect(spool.sealIfDue()).toBe(true);
    expect(map.length).toBe(0); // unmapped: the old view reaches nothing
    expect(statSync(join(dir, name!)).size).toBe(line(1).length);
    await spool.close();
  });

  it("give a line longer than a segment a segment of its own", async () => {
    const dir = tempDir();
    const spool = AuditSpool.open({ dir, maxBytes: 1 << 30, sealAfterMs: 0, mapped: mappedAddon });
    const long = Buffer.from(`{"s":"${"x".repeat(SEGMENT_MAX_BYTES + 10)}"}\n`);
    expect(spool.append(line(1), 1)).toBe(true);
    expect(spool.append(long, 1)).toBe(true);
    expect(spool.append(line(2), 1)).toBe(true);
    spool.sealIfDue();
    const texts: string[] = [];
    for (let name = spool.peek(); name !== null; name = spool.peek()) {
      texts.push((await spool.read(name)).toString());
      await spool.remove(name);
    }
    // The third line fits after the long one, in the segment made for it.
    expect(texts.map((t) => t.length)).toEqual([line(1).length, long.length + line(2).length]);
    expect(texts[1]!.startsWith(long.toString()) && texts[1]!.endsWith(line(2).toString())).toBe(true);
    await spool.close();
  });

  it("the recorder writes each event into the file as it records it, holding no result", () => {
    const dir = tempDir();
    const spool = AuditSpool.open({ dir, maxBytes: 1 << 20, sealAfterMs: 1000, mapped: mappedAddon });
    const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 10 });
    expect(recorder.record(event())).toBe(0); // nothing to wait for
    expect(recorder.counters).toEqual({ spooled: 1, dropped: 0 });
    const text = readFileSync(join(dir, readdirSync(dir)[0]!)).toString().replace(/\0+$/, "");
    expect(text.endsWith("\n")).toBe(true);
    expect(spoolEvents(text)).toMatchObject([{ statement: "SELECT $1", decision: "allowed", backend: "b" }]);
  });

  it("the recorder drops and counts once the spool is full, and records again when there is room", async () => {
    const spool = AuditSpool.open({ dir: tempDir(), maxBytes: 4096, sealAfterMs: 0, mapped: mappedAddon });
    const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 100_000 });
    for (let i = 0; i < 100; i++) recorder.record(event());
    expect(recorder.counters.spooled).toBeGreaterThan(0);
    expect(recorder.counters.spooled + recorder.counters.dropped).toBe(100);
    expect(recorder.droppingSince).not.toBeNull();
    spool.sealIfDue();
    await spool.remove(spool.peek()!);
    recorder.record(event());
    expect(recorder.counters.spooled + recorder.counters.dropped).toBe(101);
    expect(spool.bytes).toBeGreaterThan(0);
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
