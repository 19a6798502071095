import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { spoolEvents } from "../testing/spool-events";
import { eventPart, RecordedEvent } from "./audit-event";
import { loadMappedFile, type MappedFileAddon } from "./mapped-file";
import { AuditRecorder } from "./recorder";
import { AuditSpool } from "./spool";

// The recorder writes each event from parts (an ASCII head, a shared part written once per segment, the numbers):
// what lands in the spool must resolve to exactly the AuditEvent JSON of PROTOCOL.md, whatever the texts hold.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function recorderOnDisk(mapped: MappedFileAddon | null): { recorder: AuditRecorder; spool: AuditSpool; events: () => Promise<Record<string, unknown>[]> } {
  const dir = mkdtempSync(join(tmpdir(), "dbmesh-recorder-"));
  dirs.push(dir);
  const spool = AuditSpool.open({ dir, maxBytes: 1 << 30, sealAfterMs: 0, mapped });
  const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 100_000 });
  /** Every segment's events, resolved segment by segment (each defines the parts its events name). */
  const events = async (): Promise<Record<string, unknown>[]> => {
    spool.sealIfDue(Number.POSITIVE_INFINITY);
    const out: Record<string, unknown>[] = [];
    for (let name = spool.peek(); name !== null; name = spool.peek()) {
      const text = (await spool.read(name)).toString("utf8");
      expect(text.endsWith("\n")).toBe(true);
      out.push(...spoolEvents(text));
      await spool.remove(name);
    }
    return out;
  };
  return { recorder, spool, events };
}

const who = (app: string | null) =>
  JSON.stringify({ virtualDatabase: "shop", credential: "app", clientAddress: "127.0.0.1:5000", applicationName: app }).slice(1, -1);
const what = (statement: string) =>
  JSON.stringify({ statement, fingerprint: "00ff00ff00ff00ff", kind: "select", tables: [{ schema: null, name: "t", operation: "select" }] }).slice(1, -1);

// Both ways to the spool: a batch per turn through write(2), and each event into a mapped segment (when built;
// mapped-file.test.ts fails where it should be and is not).
const modes: [string, MappedFileAddon | null][] = [["write(2)", null]];
if (loadMappedFile().addon !== null) modes.push(["memory-mapped", loadMappedFile().addon]);

describe.each(modes)("AuditRecorder, %s", (_, mapped) => {
  it("writes each event as the JSON line of its parts: non-ASCII texts, names that need escaping, odd SQLSTATEs", async () => {
    const { recorder, spool, events: spooled } = recorderOnDisk(mapped);
    const statement = "SELECT 'zürich ☃ 🐘', \"naïve\" FROM t WHERE note = $1 -- \\ \" \n\t";
    const part = eventPart(who("app \"ü\""), what(statement), "denied", 'rule "x" ü', "pg\\1");
    const at = Date.UTC(2026, 11, 7, 12, 0, 0, 5);
    recorder.record(new RecordedEvent(at, part, 17, null, "42501"));
    recorder.record(new RecordedEvent(at + 1, part, null, 3, "Xé\u0001\""));
    recorder.record(new RecordedEvent(at + 1, eventPart(who(null), what("SELECT 1"), "allowed", null, null), 0, 1, null));
    recorder.commit();
    const events = await spooled();
    expect(events).toHaveLength(3);
    expect(events[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      occurredAt: "2026-12-07T12:00:00.005Z",
      virtualDatabase: "shop",
      credential: "app",
      clientAddress: "127.0.0.1:5000",
      applicationName: 'app "ü"',
      statement,
      fingerprint: "00ff00ff00ff00ff",
      kind: "select",
      tables: [{ schema: null, name: "t", operation: "select" }],
      decision: "denied",
      rule: 'rule "x" ü',
      backend: "pg\\1",
      durationUs: 17,
      rows: null,
      sqlstate: "42501",
    });
    expect(events[1]).toMatchObject({ occurredAt: "2026-12-07T12:00:00.006Z", durationUs: null, rows: 3, sqlstate: "Xé\u0001\"" });
    expect(events[2]).toMatchObject({ applicationName: null, statement: "SELECT 1", decision: "allowed", rule: null, backend: null, durationUs: 0, rows: 1, sqlstate: null });
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    // The event is what toJsonLine() gives for the same id and time.
    const again = new RecordedEvent(at, part, 17, null, "42501").toJsonLine(events[0]!.id as string, "2026-12-07T12:00:00.005Z");
    expect(JSON.parse(again)).toEqual(events[0]);
    await spool.close();
  });

  it("writes a batch larger than its encoding buffer (or a segment's free room) whole and in order", async () => {
    const { recorder, spool, events: spooled } = recorderOnDisk(mapped);
    // ~4 KiB per event: 200 events are ~800 KiB, over the 256 KiB buffer kept for encoding.
    const big = "x".repeat(4000);
    for (let i = 0; i < 200; i++) recorder.record(new RecordedEvent(Date.now(), eventPart(who("a"), what(`SELECT ${i} /* ${big} */`), "allowed", null, "pg"), i, i, null));
    recorder.commit();
    const events = (await spooled()) as { statement: string; rows: number }[];
    expect(events.map((e) => e.rows)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(events.every((e, i) => e.statement === `SELECT ${i} /* ${big} */`)).toBe(true);
    expect(recorder.counters).toEqual({ spooled: 200, dropped: 0 });
    await spool.close();
  });
});
