import { close, closeSync, fdatasync, fstatSync, fsync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, truncateSync, unlinkSync, writeSync } from "node:fs";
import { open as openFile, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { MappedFileAddon } from "./mapped-file";

// The on-disk spool of SQL audit events not yet acknowledged by the control plane: append-only segment files
// of newline-delimited JSON events under `<state dir>/audit/`, named by a growing sequence number. One segment
// is open for appending; a sealed one is sent as one batch (≤ 5,000 events, ≤ 4 MiB) and deleted only after
// the control plane acknowledged it. After a crash every file found is sealed and sent again (event ids make
// resending harmless).
//
// Durability: append() is a synchronous write(2) into the page cache, which survives the process being
// killed (kill -9): the agent releases a statement's ReadyForQuery only after its event got here. Surviving a
// machine crash needs fdatasync, which runs off the hot path, grouped: at most one every SYNC_INTERVAL_MS, and
// never back to back — a write(2) issued while an fdatasync of the same file runs can wait for it (measured
// here on ext4: 3–4 µs per event with continuous syncing against ~1 µs without), and that write is on the hot
// path. A machine crash can therefore lose up to ~SYNC_INTERVAL_MS of events; a process crash loses none.
//
// Memory-mapped segments (`mapped`, the default where apps/agent/native is built): the open segment is reserved
// on disk at its full size (posix_fallocate: a full disk fails when a segment opens, never as a SIGBUS on a
// page) and mapped shared; the recorder encodes each event straight into the mapping (claim/commitClaimed).
// Those bytes are in the page cache as soon as they are copied, so they survive a kill -9 like write(2)'s do,
// with no system call per event and no result held back. Sealing truncates the file to what was written. After
// a crash the open segment ends in zeros (reserved, never written) or in a line cut short by the kill (its
// result was never sent): open() trims every leftover segment back to its last whole line.

export const SEGMENT_MAX_EVENTS = 5_000;
export const SEGMENT_MAX_BYTES = 4 * 1024 * 1024;
const SEGMENT_SUFFIX = ".ndjson";
/** Group commit period of fdatasync. */
export const SYNC_INTERVAL_MS = 50;
/**
 * Mapped segments are faulted in writable this far ahead of the write position, with one system call: page by
 * page, a governed agent at -c 8 took ~3,000 page faults a second more than with write(2) (perf stat). Not much
 * further: each group sync writes the populated pages back, zeros and all, and makes them fault again when the
 * writes reach them (at ~1 MB/s of events, 64 KiB ahead was more than a sync period's worth: every page faulted
 * twice). Zeros ahead of the position that reach the disk are cut off at seal or recovery.
 */
const POPULATE_BYTES = 16 * 1024;

export interface SpoolOptions {
  dir: string;
  /** Unacknowledged bytes kept at most; appends beyond it are refused (the caller drops and counts them). */
  maxBytes: number;
  /** A segment with events is sealed (handed to the sender) once this old. */
  sealAfterMs: number;
  /** Memory-mapped segments (see above); null or unset: write(2). */
  mapped?: MappedFileAddon | null;
}

/** Numbers every segment a process opens, across spools: an EventPart remembers the segment that defines it. */
let segmentSerials = 0;

interface OpenSegment {
  name: string;
  /** Unique in this process (AuditSpool.segmentSerial). */
  serial: number;
  fd: number;
  bytes: number;
  events: number;
  openedAt: number;
  /** A write failed part way: the file may end in a torn line, so nothing more is appended to it. */
  broken: boolean;
  /** The segment's memory when mapped (then `bytes` is the write position in it), else null. */
  map: Buffer | null;
  mapping: ArrayBuffer | null;
  /** Mapped: the pages below this are faulted in writable already. */
  populatedTo: number;
}

export class AuditSpool {
  private readonly sealedQueue: string[] = [];
  private readonly sizes = new Map<string, number>();
  private current: OpenSegment | null = null;
  private nextSeq: number;
  private totalBytes = 0;
  private syncTimer: NodeJS.Timeout | null = null;
  private readonly mapped: MappedFileAddon | null;

  private constructor(
    private readonly options: SpoolOptions,
    existing: { name: string; bytes: number }[],
  ) {
    this.mapped = options.mapped ?? null;
    let max = 0;
    for (const s of existing) {
      this.sealedQueue.push(s.name);
      this.sizes.set(s.name, s.bytes);
      this.totalBytes += s.bytes;
      max = Math.max(max, Number.parseInt(s.name, 10));
    }
    this.nextSeq = max + 1;
  }

  /** Opens the spool directory (creating it, mode 0700); segments left by an earlier run are queued to send. */
  static open(options: SpoolOptions): AuditSpool {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const existing = readdirSync(options.dir)
      .filter((f) => f.endsWith(SEGMENT_SUFFIX) && /^\d+$/.test(f.slice(0, -SEGMENT_SUFFIX.length)))
      .sort()
      .map((name) => ({ name, bytes: trimToWholeLines(join(options.dir, name)) }))
      .filter((s) => s.bytes > 0);
    return new AuditSpool(options, existing);
  }

  /** Bytes on disk not yet acknowledged (sealed segments and the open one). */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Sealed segments waiting for the sender, oldest first. */
  get pendingSegments(): number {
    return this.sealedQueue.length;
  }

  /**
   * Appends data[0, length) (whole lines, `events` of them) to the open segment with one synchronous write. False
   * when the spool is full (nothing written). Throws on an I/O error (the caller drops and counts those events).
   * `data` is not kept: the caller may reuse it.
   */
  append(data: Buffer, events: number, length = data.length): boolean {
    if (this.mapped !== null) {
      const at = this.claim(length, events);
      if (at < 0) return false;
      data.copy(this.map, at, 0, length);
      this.commitClaimed(length, events);
      return true;
    }
    if (this.totalBytes + length > this.options.maxBytes) return false;
    let seg = this.current;
    if (seg !== null && this.isFullFor(seg, length, events)) {
      this.seal();
      seg = null;
    }
    seg ??= this.openSegment();
    let off = 0;
    try {
      while (off < length) off += writeSync(seg.fd, data, off, length - off);
    } catch (err) {
      seg.broken = true;
      seg.bytes += off;
      this.totalBytes += off;
      throw err;
    }
    seg.bytes += length;
    seg.events += events;
    this.totalBytes += length;
    this.syncSoon();
    return true;
  }

  /** True when segments are memory-mapped: write through claim() and map, not append(). */
  get isMapped(): boolean {
    return this.mapped !== null;
  }

  /**
   * Mapped segments: room for `length` bytes (`events` events) in the open segment, opening a new one when this
   * one is full. Returns where to write them in `map`, or -1 when the spool is full (nothing reserved). Throws
   * when a segment cannot be opened (disk full, say). The caller writes, then calls commitClaimed() at once.
   */
  claim(length: number, events = 1): number {
    if (this.totalBytes + length > this.options.maxBytes) return -1;
    let seg = this.current;
    if (seg !== null && this.isFullFor(seg, length, events)) {
      this.seal();
      seg = null;
    }
    seg ??= this.openSegment(length);
    if (seg.bytes + length > seg.populatedTo) {
      const to = Math.max(seg.bytes + length, seg.populatedTo + POPULATE_BYTES);
      (this.mapped as MappedFileAddon).populate(seg.mapping as ArrayBuffer, seg.populatedTo, to - seg.populatedTo);
      seg.populatedTo = to;
    }
    return seg.bytes;
  }

  /**
   * The segment the next append() or claim() of at most `length` bytes and `events` events goes to (sealing the
   * open one when it cannot take them, opening one when none is): its serial, for the lines that define shared
   * parts in it. Encoding a batch comes between the two calls.
   */
  segmentFor(length: number, events: number): number {
    const seg = this.current;
    if (seg !== null && !this.isFullFor(seg, length, events)) return seg.serial;
    if (seg !== null) this.seal();
    return this.openSegment(length).serial;
  }

  /** The open segment's serial (after claim(): the one to write into), or -1 when none is open. */
  get segmentSerial(): number {
    return this.current?.serial ?? -1;
  }

  /** The open segment cannot take `length` more bytes and `events` more events. An empty one takes anything. */
  private isFullFor(seg: OpenSegment, length: number, events: number): boolean {
    if (seg.broken) return true;
    if (seg.bytes === 0) return seg.map !== null && length > seg.map.length;
    return seg.events + events > SEGMENT_MAX_EVENTS || seg.bytes + length > (seg.map?.length ?? SEGMENT_MAX_BYTES);
  }

  /** The open segment's memory (valid after claim() until the next claim, seal or close). */
  get map(): Buffer {
    return (this.current as OpenSegment).map as Buffer;
  }

  /** The `length` bytes claim() made room for are written. */
  commitClaimed(length: number, events = 1): void {
    const seg = this.current as OpenSegment;
    seg.bytes += length;
    seg.events += events;
    this.totalBytes += length;
    this.syncSoon();
  }

  /** Seals the open segment when it is old enough (or full): it becomes sendable. True when one was sealed. */
  sealIfDue(now = Date.now()): boolean {
    const seg = this.current;
    if (seg === null || seg.events === 0) return false;
    if (now - seg.openedAt < this.options.sealAfterMs && seg.events < SEGMENT_MAX_EVENTS && !seg.broken) return false;
    this.seal();
    return true;
  }

  /** The oldest sealed segment, without taking it off the queue. */
  peek(): string | null {
    return this.sealedQueue[0] ?? null;
  }

  read(name: string): Promise<Buffer> {
    return readFile(join(this.options.dir, name));
  }

  /**
   * Reads the segment into target[offset …] and returns its length, or null when it does not fit there (then
   * read() it). Lets the sender keep one buffer for every batch instead of a new one of up to 4 MiB each.
   */
  async readInto(name: string, target: Buffer, offset: number): Promise<number | null> {
    const file = await openFile(join(this.options.dir, name), "r");
    try {
      const { size } = await file.stat();
      if (offset + size > target.length) return null;
      let done = 0;
      while (done < size) {
        const { bytesRead } = await file.read(target, offset + done, size - done, done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    } finally {
      await file.close();
    }
  }

  /** The control plane acknowledged the segment: delete it. */
  async remove(name: string): Promise<void> {
    await unlink(join(this.options.dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    const i = this.sealedQueue.indexOf(name);
    if (i !== -1) this.sealedQueue.splice(i, 1);
    this.totalBytes -= this.sizes.get(name) ?? 0;
    this.sizes.delete(name);
  }

  /** Seals the open segment and waits for it to be on disk (shutdown). */
  close(): Promise<void> {
    const seg = this.current;
    this.current = null;
    if (seg === null) return Promise.resolve();
    this.finishSegment(seg);
    return new Promise((resolve) => fsync(seg.fd, () => close(seg.fd, () => resolve())));
  }

  /** A new open segment; mapped, it has room for `length` bytes at least. */
  private openSegment(length = 0): OpenSegment {
    const name = `${String(this.nextSeq++).padStart(16, "0")}${SEGMENT_SUFFIX}`;
    const path = join(this.options.dir, name);
    const fd = openSync(path, this.mapped === null ? "a" : "w+", 0o600);
    let map: Buffer | null = null;
    let mapping: ArrayBuffer | null = null;
    if (this.mapped !== null) {
      try {
        // A line longer than a segment gets a segment of its own, rounded up to whole pages.
        mapping = this.mapped.map(fd, Math.max(SEGMENT_MAX_BYTES, Math.ceil(length / 4096) * 4096));
      } catch (err) {
        closeSync(fd);
        unlinkSync(path);
        throw err;
      }
      map = Buffer.from(mapping);
    }
    const seg: OpenSegment = { name, serial: ++segmentSerials, fd, bytes: 0, events: 0, openedAt: Date.now(), broken: false, map, mapping, populatedTo: 0 };
    this.current = seg;
    this.sizes.set(name, 0);
    // The new directory entry, for a machine crash (the file's data is synced by syncSoon).
    try {
      const dirFd = openSync(this.options.dir, "r");
      fsync(dirFd, () => close(dirFd, () => {}));
    } catch {
      // not fatal: data is still in the page cache and the segment list is rebuilt from the directory
    }
    return seg;
  }

  private seal(): void {
    const seg = this.current;
    if (seg === null) return;
    this.current = null;
    this.finishSegment(seg);
    // Whatever is in flight was for this fd or an older one; this fd is closed once its data is synced.
    fdatasync(seg.fd, () => close(seg.fd, () => {}));
  }

  private finishSegment(seg: OpenSegment): void {
    if (seg.mapping !== null) {
      // Unmapped (and its views emptied) before the file shrinks: no page past the new end stays reachable.
      (this.mapped as MappedFileAddon).unmap(seg.mapping);
      seg.mapping = null;
      seg.map = null;
      ftruncateSync(seg.fd, seg.bytes);
    }
    this.sizes.set(seg.name, seg.bytes);
    if (seg.bytes > 0) this.sealedQueue.push(seg.name);
    else {
      this.sizes.delete(seg.name);
      void unlink(join(this.options.dir, seg.name)).catch(() => {});
    }
  }

  /** Group commit: one fdatasync per SYNC_INTERVAL_MS at most, covering every append made before it started. */
  private syncSoon(): void {
    if (this.syncTimer !== null) return;
    this.syncTimer = setTimeout(() => {
      const seg = this.current;
      if (seg === null) {
        this.syncTimer = null;
        return;
      }
      // The next period starts when this sync is done, so that syncs never run back to back.
      fdatasync(seg.fd, () => {
        this.syncTimer = null;
      });
    }, SYNC_INTERVAL_MS);
    this.syncTimer.unref();
  }
}

/**
 * Cuts a segment left by an earlier run back to its last whole line, and returns its size. A mapped segment the
 * agent did not seal ends in the zeros reserved for it; a kill -9 during an append can leave half a line (its
 * statement's result was never sent). JSON lines never hold a raw NUL or newline inside. A segment with no whole
 * line is deleted.
 */
function trimToWholeLines(path: string): number {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size === 0) {
      unlinkSync(path);
      return 0;
    }
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return size; // the usual case: read no more than that byte
  } finally {
    closeSync(fd);
  }
  const end = readFileSync(path).lastIndexOf(0x0a) + 1;
  if (end === 0) unlinkSync(path); // nothing whole in it: nothing to send
  else truncateSync(path, end);
  return end;
}
