import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { spoolEvents } from "../testing/spool-events";
import { RecordedEvent, eventPart } from "./audit-event";
import { loadMappedFile } from "./mapped-file";
import { AuditRecorder } from "./recorder";
import { AuditSpool } from "./spool";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "dbmesh-mapped-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const addon = loadMappedFile().addon;

describe("memory-mapped spool segments (apps/agent/native)", () => {
  // A machine that can build it must: otherwise the agent quietly runs the slower write(2) spool.
  it.skipIf(process.platform !== "linux")("are built on Linux (skipped elsewhere: the addon is Linux only)", () => {
    expect(loadMappedFile().reason).toBe("");
  });

  it.skipIf(addon === null)("map a file reserved on disk, and unmap it so that no view reaches the memory", () => {
    const path = join(tempDir(), "f");
    const fd = openSync(path, "w+");
    try {
      const mapping = addon!.map(fd, 8192);
      const view = Buffer.from(mapping);
      expect(view.length).toBe(8192);
      addon!.populate(mapping, 100, 5000); // pages 0-1, already writable: nothing to see but no harm
      addon!.populate(mapping, 8000, 1 << 20); // clipped to the mapping
      view.write("hello", 0);
      addon!.unmap(mapping);
      addon!.populate(mapping, 0, 4096); // unmapped: nothing to do
      expect(view.length).toBe(0);
      expect(mapping.byteLength).toBe(0);
      addon!.unmap(mapping); // again: nothing to do
      expect(() => addon!.map(fd, 0)).toThrow(/length > 0/);
    } finally {
      closeSync(fd);
    }
    expect(() => addon!.map(1 << 20, 4096)).toThrow(expect.objectContaining({ code: "EBADF" }));
  });

  it.skipIf(addon === null)("keep every appended event across a kill -9 of the process, with no write(2) per event", () => {
    const dir = tempDir();
    const spoolModule = fileURLToPath(new URL("./spool.ts", import.meta.url));
    const addonModule = fileURLToPath(new URL("./mapped-file.ts", import.meta.url));
    const child = join(dir, "child.mts");
    // Appends 20,000 lines into a mapped spool that never seals, syncs nor closes, then kills itself.
    writeFileSync(
      child,
      `import { AuditSpool } from ${JSON.stringify(spoolModule)};
       import { loadMappedFile } from ${JSON.stringify(addonModule)};
       const spool = AuditSpool.open({ dir: ${JSON.stringify(join(dir, "audit"))}, maxBytes: 1 << 30, sealAfterMs: 1e9, mapped: loadMappedFile().addon });
       for (let i = 1; i <= 20000; i++) spool.append(Buffer.from('{"n":' + i + '}\\n'), 1);
       process.kill(process.pid, "SIGKILL");`,
    );
    const run = spawnSync(process.execPath, ["--import", "tsx", child], { encoding: "utf8", timeout: 60_000 });
    expect(run.signal).toBe("SIGKILL");
    const segments = readdirSync(join(dir, "audit"));
    expect(segments.length).toBeGreaterThan(0);
    const spool = AuditSpool.open({ dir: join(dir, "audit"), maxBytes: 1 << 30, sealAfterMs: 0, mapped: addon });
    const numbers: number[] = [];
    return (async () => {
      for (let name = spool.peek(); name !== null; name = spool.peek()) {
        const text = (await spool.read(name)).toString();
        for (const l of text.split("\n")) if (l !== "") numbers.push((JSON.parse(l) as { n: number }).n);
        await spool.remove(name);
      }
      expect(numbers.length).toBe(20_000);
      expect(numbers.every((n, i) => n === i + 1)).toBe(true);
      await spool.close();
    })();
  }, 60_000);

  // A real full disk: a 6 MiB tmpfs with 4 MiB of it taken, less than one segment left. Mounting needs root (CAP_SYS_ADMIN), as in CI
  // here; elsewhere this is skipped.
  const canMount = process.platform === "linux" && process.getuid?.() === 0;
  it.skipIf(addon === null || !canMount)("on a full disk drop and count events (a segment fails as it opens, never as a SIGBUS), and record again once there is room", async () => {
    const dir = tempDir();
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", dir]);
    try {
      writeFileSync(join(dir, "filler"), Buffer.alloc(4 << 20, 1));
      const spool = AuditSpool.open({ dir: join(dir, "audit"), maxBytes: 1 << 30, sealAfterMs: 0, mapped: addon });
      const recorder = new AuditRecorder({ spool, log: pino({ level: "silent" }), maxBufferedEvents: 1000 });
      const part = eventPart('"virtualDatabase":"v","credential":"c","clientAddress":null,"applicationName":null', '"statement":"SELECT 1","fingerprint":"0","kind":"select","tables":[]', "allowed", null, "b");
      for (let i = 0; i < 10; i++) recorder.record(new RecordedEvent(Date.now(), part, 1, 1, null));
      expect(recorder.counters).toEqual({ spooled: 0, dropped: 10 });
      expect(recorder.lastDropReason).toMatch(/ENOSPC|No space left/);
      expect(readdirSync(join(dir, "audit"))).toEqual([]); // the segment that could not be reserved is gone
      rmSync(join(dir, "filler"));
      recorder.record(new RecordedEvent(Date.now(), part, 1, 1, null));
      expect(recorder.counters).toEqual({ spooled: 1, dropped: 10 });
      spool.sealIfDue();
      expect(spoolEvents((await spool.read(spool.peek()!)).toString())).toMatchObject([{ statement: "SELECT 1" }]);
      await spool.close();
    } finally {
      execFileSync("umount", [dir]);
    }
  });
});
