import type { Logger } from "pino";
import { type EventPart, RecordedEvent } from "./audit-event";
import { maxLineBytes, SpoolLineWriter } from "./line-writer";
import type { AuditSpool } from "./spool";

// The hot-path end of the audit pipeline. record() only pushes the event onto an in-memory batch (bounded: a
// full batch drops and counts). Once per event-loop turn (setImmediate) commit() serializes the batch (an
// event's shared part once per segment, then its own line: SpoolLineWriter) and appends it to the spool with one
// write(2). A session holds back the bytes that carry a statement's result until the batch holding that
// statement's event is written (holdUntilWritten): the client cannot see a result whose audit event a kill -9
// could still lose, and no query ever waits on a disk flush or the network.
// Dropped events (batch or spool full, disk errors) never hold anyone back.
//
// With memory-mapped spool segments (spool.isMapped) none of that is needed: record() encodes the event straight
// into the mapped segment, where it survives a kill -9 as soon as it is copied. Nothing is batched, scheduled or
// held.
//
// `batchMs` > 0 (write(2) only) trades that guarantee for throughput (DBMESH_AGENT_AUDIT_BATCH_MS): results are
// not held, and the batch is written every `batchMs`, so one write(2) carries many events instead of the one or
// two of a turn — and a kill -9 may lose the events of the last `batchMs`.

export interface RecorderCounters {
  spooled: number;
  dropped: number;
}

export interface RecorderOptions {
  spool: AuditSpool;
  log: Logger;
  /** Events held in memory at most between two commits. */
  maxBufferedEvents: number;
  onCommitted?: (spooled: number, dropped: number) => void;
  /** A dropping spell began (the heartbeat carries the alarm at once instead of within 10 s). */
  onDroppingStarted?: () => void;
  /** 0 (default): write once per event-loop turn and hold results until written. > 0: write every batchMs, hold nothing. */
  batchMs?: number;
}

/** How often a failing disk is logged at most. */
const LOG_EVERY_MS = 10_000;
/** A batch this large is written at once instead of at the end of the turn. */
const COMMIT_NOW_EVENTS = 2_000;

const SPOOL_FULL = "the audit spool is full: the control plane has not acknowledged events for a while";

export class AuditRecorder {
  readonly counters: RecorderCounters = { spooled: 0, dropped: 0 };
  /** First drop of the current dropping spell (cleared after a quiet minute), for the heartbeat alarm. */
  droppingSince: Date | null = null;
  lastDropAt = 0;
  lastDropReason = "";

  private pending: RecordedEvent[] = [];
  /** Where a batch is encoded before its write; a larger one gets its own. */
  private readonly scratch = Buffer.allocUnsafeSlow(256 * 1024);
  private seq = 0;
  private writtenSeq = 0;
  private waiters: (() => void)[] = [];
  private scheduled = false;
  private readonly lines = new SpoolLineWriter();
  private lastLogAt = 0;
  private closed = false;

  private readonly mapped: boolean;

  constructor(private readonly options: RecorderOptions) {
    this.mapped = options.spool.isMapped;
  }

  /** Queues an event; returns its sequence number (0 when dropped: nothing to wait for). */
  record(event: RecordedEvent): number {
    if (this.mapped) return this.recordParts(event.at, event.part, event.durationUs, event.rows, event.sqlstate);
    return this.recordBatched(event);
  }

  /** record() of the event with these parts (see RecordedEvent), without making one when nothing needs it. */
  recordParts(at: number, part: EventPart, durationUs: number | null, rows: number | null, sqlstate: string | null): number {
    if (this.mapped) {
      if (this.closed) this.drop(1, "the SQL audit trail is closing");
      else this.recordMapped(at, part, durationUs, rows, sqlstate);
      return 0;
    }
    return this.recordBatched(new RecordedEvent(at, part, durationUs, rows, sqlstate));
  }

  private recordBatched(event: RecordedEvent): number {
    if (this.closed || this.pending.length >= this.options.maxBufferedEvents) {
      this.drop(1, "the in-memory audit buffer is full");
      return 0;
    }
    const seq = ++this.seq;
    this.pending.push(event);
    if (this.pending.length >= COMMIT_NOW_EVENTS) this.commit();
    else if (!this.scheduled) {
      this.scheduled = true;
      const batchMs = this.options.batchMs ?? 0;
      if (batchMs > 0) setTimeout(this.commitScheduled, batchMs);
      else setImmediate(this.commitScheduled);
    }
    // Batched: nobody waits for the write.
    return (this.options.batchMs ?? 0) > 0 ? 0 : seq;
  }

  /** Encodes one event into the mapped segment. */
  private recordMapped(at: number, part: EventPart, durationUs: number | null, rows: number | null, sqlstate: string | null): void {
    const spool = this.options.spool;
    const bound = this.lines.prepare(at, at, part, sqlstate);
    let start: number;
    try {
      start = spool.claim(bound);
    } catch (err) {
      this.drop(1, `writing the audit spool failed: ${(err as Error).message}`);
      return;
    }
    if (start < 0) {
      this.drop(1, SPOOL_FULL);
      return;
    }
    spool.commitClaimed(this.lines.write(spool.map, start, spool.segmentSerial, at, part, durationUs, rows, sqlstate) - start);
    this.counters.spooled++;
    this.options.onCommitted?.(1, 0);
  }

  /** True (and `release` is called later) when the event numbered `seq` is not written yet. */
  holdUntilWritten(seq: number, release: () => void): boolean {
    if (seq <= this.writtenSeq) return false;
    this.waiters.push(release);
    return true;
  }

  private readonly commitScheduled = (): void => {
    this.scheduled = false;
    this.commit();
  };

  /** Writes every pending event to the spool now (also used on paths that close a client at once). */
  commit(): void {
    const batch = this.pending;
    const upTo = this.seq;
    if (batch.length > 0) {
      this.pending = [];
      const now = Date.now();
      let ok = false;
      let reason = SPOOL_FULL;
      try {
        // The segment the batch goes to, first: its parts' lines are written for that one.
        let bound = 0;
        for (let i = 0; i < batch.length; i++) bound += maxLineBytes((batch[i] as RecordedEvent).part, (batch[i] as RecordedEvent).sqlstate);
        const segment = this.options.spool.segmentFor(bound, batch.length);
        // Encoded into a buffer kept for the purpose: a Buffer.from per turn (a pool slice and a typed array
        // each time) was a measurable part of recording at one or two events per turn. A batch that outgrows it
        // gets a larger one of its own.
        let out = this.scratch;
        let at = 0;
        for (let i = 0; i < batch.length; i++) {
          const e = batch[i] as RecordedEvent;
          const need = this.lines.prepare(now, e.at, e.part, e.sqlstate);
          if (at + need > out.length) {
            const larger = Buffer.allocUnsafe(Math.max(out.length * 2, at + need));
            out.copy(larger, 0, 0, at);
            out = larger;
          }
          at = this.lines.write(out, at, segment, e.at, e.part, e.durationUs, e.rows, e.sqlstate);
        }
        ok = this.options.spool.append(out, batch.length, at);
      } catch (err) {
        reason = `writing the audit spool failed: ${(err as Error).message}`;
      }
      if (ok) {
        this.counters.spooled += batch.length;
        this.options.onCommitted?.(batch.length, 0);
      } else {
        // The parts this batch would have defined are not in the segment: have the next event define them again.
        for (let i = 0; i < batch.length; i++) (batch[i] as RecordedEvent).part.segment = -1;
        this.drop(batch.length, reason);
      }
    }
    this.writtenSeq = upTo;
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    this.waiters = [];
    for (const release of waiters) release();
  }

  /** Stops recording and writes what is pending. */
  close(): void {
    this.commit();
    this.closed = true;
  }

  private drop(n: number, reason: string): void {
    const now = Date.now();
    this.counters.dropped += n;
    this.options.onCommitted?.(0, n);
    if (this.droppingSince === null || now - this.lastDropAt > 60_000) {
      this.droppingSince = new Date(now);
      this.options.onDroppingStarted?.();
    }
    this.lastDropAt = now;
    this.lastDropReason = reason;
    if (now - this.lastLogAt > LOG_EVERY_MS) {
      this.lastLogAt = now;
      this.options.log.error({ dropped: this.counters.dropped, reason }, "SQL audit events are being dropped");
    }
  }
}
