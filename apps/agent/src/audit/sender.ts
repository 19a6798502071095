import type { Logger } from "pino";
import { type AuditSpool, SEGMENT_MAX_BYTES } from "./spool";

// Ships sealed spool segments to POST /api/agent/v1/audit, oldest first, one segment per request, and deletes a
// segment only after a 2xx. Any failure (network, 5xx, 401) keeps the segment and retries with exponential
// backoff and full jitter (250 ms doubling to 10 s), so an outage of the control plane costs spool space, never
// events. A 400 means the control plane refuses something in the body: the segment's lines are then checked one
// by one (a torn last line after a crash, an event the API rejects) and the valid ones resent; what the API still
// refuses is logged, counted as dropped and deleted, so one bad event cannot stop the queue.

export type AuditPostResult = { ok: true; accepted: number } | { ok: false; status: number | null; message: string };

const OPEN = Buffer.from('{"events":[');
const CLOSE = Buffer.from("]}");
const NEWLINE = 0x0a;
const COMMA = 0x2c;

/**
 * The request body for a segment, built on its bytes: a line is one JSON object with no raw newline (JSON
 * escapes them), so turning the newlines between lines into commas makes the array. Returns the event count: the
 * lines that are not shared parts (`{"part":…`, PROTOCOL.md).
 */
export function batchBody(segment: Buffer): { body: Buffer; events: number } {
  const buf = Buffer.allocUnsafe(OPEN.length + segment.length + CLOSE.length);
  segment.copy(buf, OPEN.length);
  const { length, events } = batchBodyInPlace(buf, segment.length);
  return { body: buf.subarray(0, length), events };
}

/** `{"part"` starts a shared part's line; an event's line starts `{"id"`. */
const isPartLine = (buf: Buffer, start: number): boolean => buf[start + 2] === 0x70 && buf[start + 1] === 0x22;

/**
 * batchBody on a buffer holding the segment at buf[OPEN.length, OPEN.length + size), with CLOSE.length bytes of
 * room after it: the body is built where it lies. Returns the body's length (from 0) and the event count.
 */
function batchBodyInPlace(buf: Buffer, size: number): { length: number; events: number } {
  const start = OPEN.length;
  let end = start + size;
  while (end > start && buf[end - 1] === NEWLINE) end--;
  let events = end > start && !isPartLine(buf, start) ? 1 : 0;
  for (let i = buf.indexOf(NEWLINE, start); i !== -1 && i < end; i = buf.indexOf(NEWLINE, i + 1)) {
    buf[i] = COMMA;
    if (!isPartLine(buf, i + 1)) events++;
  }
  OPEN.copy(buf, 0);
  CLOSE.copy(buf, end);
  return { length: end + CLOSE.length, events };
}

export interface AuditSenderOptions {
  spool: AuditSpool;
  post: (body: Buffer | string, signal: AbortSignal) => Promise<AuditPostResult>;
  log: Logger;
  onSent: (events: number) => void;
  onRejected: (events: number) => void;
  /** Seal the open segment this often when idle (ms). */
  pollMs?: number;
}

const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 10_000;

export class AuditSender {
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  /** Aborts a request in flight when the sender stops (a hung console must not hold up shutdown). */
  private readonly aborter = new AbortController();
  /** Last error, for logs and tests. */
  lastError: string | null = null;
  /**
   * Where each batch is read and built: one buffer for the sender's life. A new one of up to 4 MiB per batch,
   * several times a second, was the main reason for the governed agent's full GCs in bench:proxy (V8 counts
   * buffers as external memory and collects when it grows). Replaced after a failed request, whose socket may
   * still hold it.
   */
  private scratch: Buffer | null = null;

  constructor(private readonly options: AuditSenderOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.aborter.abort();
    this.wake();
    await this.loop;
  }

  /** A segment was sealed: send it without waiting for the next poll. */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.timer = setTimeout(() => this.wake(), ms);
    });
  }

  private async run(): Promise<void> {
    const { spool, log } = this.options;
    const pollMs = this.options.pollMs ?? 200;
    while (this.running) {
      spool.sealIfDue();
      const name = spool.peek();
      if (name === null) {
        await this.sleep(pollMs);
        continue;
      }
      let ok: boolean;
      try {
        ok = await this.sendSegment(name);
      } catch (err) {
        this.lastError = (err as Error).message;
        ok = false;
      }
      if (ok) {
        this.failures = 0;
        continue;
      }
      this.failures++;
      const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(this.failures - 1, 10));
      const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
      if (this.failures === 1 || this.failures % 20 === 0) {
        log.warn({ reason: this.lastError, segments: spool.pendingSegments, spoolBytes: spool.bytes, retryInMs: delay }, "could not send SQL audit events: keeping them spooled");
      }
      await this.sleep(delay);
    }
  }

  /** True when the segment is acknowledged (and deleted) or set aside; false to retry later. */
  private async sendSegment(name: string): Promise<boolean> {
    const { spool } = this.options;
    // Shared memory: the post thread (post-thread.ts) reads the body where it lies instead of a copy.
    this.scratch ??= Buffer.from(new SharedArrayBuffer(OPEN.length + SEGMENT_MAX_BYTES + CLOSE.length));
    let built: { body: Buffer; events: number };
    // Read after room for OPEN, leaving room for CLOSE.
    const size = await spool.readInto(name, this.scratch.subarray(0, this.scratch.length - CLOSE.length), OPEN.length);
    if (size !== null) {
      const { length, events } = batchBodyInPlace(this.scratch, size);
      built = { body: this.scratch.subarray(0, length), events };
    } else {
      built = batchBody(await spool.read(name)); // larger than a segment is written: left by another version
    }
    const { body, events } = built;
    if (events === 0) {
      await spool.remove(name);
      return true;
    }
    const result = await this.options.post(body, this.aborter.signal);
    if (!result.ok && result.status === null) this.scratch = null;
    if (result.ok) {
      await spool.remove(name);
      this.options.onSent(events);
      return true;
    }
    this.lastError = result.message;
    if (result.status !== 400) return false;
    const lines = (await spool.read(name)).toString("utf8").split("\n").filter((l) => l !== "");
    // Something in the segment is refused: keep the lines that are whole JSON objects and try once more.
    const valid = lines.filter((l) => {
      try {
        return typeof JSON.parse(l) === "object";
      } catch {
        return false;
      }
    });
    const again = valid.length === 0 ? null : await this.options.post(`{"events":[${valid.join(",")}]}`, this.aborter.signal);
    if (again !== null && !again.ok && again.status !== 400) return false;
    const eventsIn = (ls: readonly string[]) => ls.filter((l) => !l.startsWith('{"part"')).length;
    if (again?.ok) this.options.onSent(eventsIn(valid));
    const rejected = again?.ok ? eventsIn(lines) - eventsIn(valid) : eventsIn(lines);
    if (rejected > 0) {
      this.options.log.error({ segment: name, rejected, reason: again?.ok ? "torn or invalid lines" : again?.message ?? result.message }, "the control plane refused SQL audit events: dropped");
      this.options.onRejected(rejected);
    }
    await spool.remove(name);
    return true;
  }
}
