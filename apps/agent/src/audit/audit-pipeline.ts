import { join } from "node:path";
import type { SqlAnalyzer } from "@dbmesh/sql";
import type { Logger } from "pino";
import { loadMappedFile, type SpoolWriteMode, spoolMappedFile } from "./mapped-file";
import { auditPolicyOf } from "./policy";
import { AuditRecorder } from "./recorder";
import { type AuditPostResult, AuditSender } from "./sender";
import { SessionAudit } from "./session-audit";
import { AuditSpool } from "./spool";

// The agent's SQL audit trail, end to end: sessions record events (SessionAudit) through AuditRecorder into an
// on-disk spool (AuditSpool) under the state directory — straight into a mapped segment, or batched per event-loop
// turn with write(2) — shipped by AuditSender to POST /api/agent/v1/audit (`post`: the service posts from a
// worker thread, post-thread.ts) and deleted once acknowledged. See apps/agent/README.md ("SQL audit") for the
// guarantees.

export interface AuditPipelineOptions {
  /** The agent's state directory; the spool lives in `<stateDir>/audit`. */
  stateDir: string;
  maxSpoolBytes: number;
  maxBufferedEvents: number;
  post: (body: Buffer | string, signal: AbortSignal) => Promise<AuditPostResult>;
  log: Logger;
  /** How old the open segment may get before it is sealed and sent (ms). */
  sealAfterMs?: number;
  /** write(2) only: 0, results wait for their events to be written (no loss on kill -9); > 0, write every batchMs, hold nothing. */
  batchMs?: number;
  /** How events reach the spool file (DBMESH_AGENT_AUDIT_SPOOL); default `auto`, memory-mapped when the addon is built. */
  spoolMode?: SpoolWriteMode;
}

export interface AuditCounters {
  spooled: number;
  sent: number;
  dropped: number;
}

export interface AgentAlarm {
  code: string;
  message: string;
  since: string;
}

/** An alarm clears after this long without a new drop. */
export const ALARM_CLEAR_MS = 60_000;

export interface SessionIdentity {
  vdbConfig: unknown;
  virtualDatabase: string;
  credential: string;
  clientAddress: string | null;
  applicationName: string | null;
}

export class AuditPipeline {
  readonly spool: AuditSpool;
  readonly recorder: AuditRecorder;
  readonly sender: AuditSender;
  readonly counters: AuditCounters = { spooled: 0, sent: 0, dropped: 0 };
  private analyzer: SqlAnalyzer | null = null;
  private readonly alarmListeners: (() => void)[] = [];

  constructor(private readonly options: AuditPipelineOptions) {
    const dir = join(options.stateDir, "audit");
    const mode = options.spoolMode ?? "auto";
    const mapped = spoolMappedFile(mode);
    if (mapped === null && mode === "auto") {
      options.log.warn(
        { reason: loadMappedFile().reason },
        "SQL audit spool: appending with write(2) and holding each result until its event is written (memory-mapped segments are faster)",
      );
    }
    try {
      this.spool = AuditSpool.open({ dir, maxBytes: options.maxSpoolBytes, sealAfterMs: options.sealAfterMs ?? 200, mapped });
    } catch (err) {
      // Auditing without a spool could only lose events silently: refuse to start, naming the directory.
      throw new Error(`cannot open the SQL audit spool in ${dir} (DBMESH_AGENT_STATE_DIR): ${(err as Error).message}`);
    }
    this.recorder = new AuditRecorder({
      spool: this.spool,
      log: options.log,
      maxBufferedEvents: options.maxBufferedEvents,
      batchMs: options.batchMs ?? 0,
      onCommitted: (spooled, dropped) => this.count({ spooled, sent: 0, dropped }),
      onDroppingStarted: () => {
        for (const l of this.alarmListeners) l();
      },
    });
    this.sender = new AuditSender({
      spool: this.spool,
      post: options.post,
      log: options.log,
      onSent: (sent) => this.count({ spooled: 0, sent, dropped: 0 }),
      onRejected: (dropped) => this.count({ spooled: 0, sent: 0, dropped }),
    });
    if (this.spool.pendingSegments > 0) {
      options.log.info({ segments: this.spool.pendingSegments, bytes: this.spool.bytes }, "resending SQL audit events spooled before the last stop");
    }
  }

  /** Starts shipping; sessions may record from now on. */
  start(analyzer: SqlAnalyzer): void {
    this.analyzer = analyzer;
    this.sender.start();
  }

  /**
   * Writes what is pending, seals the open segment, gives the sender up to `drainMs` to ship what is spooled,
   * then stops shipping (what is left is sent after a restart).
   */
  async stop(drainMs = 2_000): Promise<void> {
    this.recorder.close();
    if (this.spool.sealIfDue(Number.POSITIVE_INFINITY)) this.sender.wake();
    const deadline = Date.now() + drainMs;
    while (this.spool.pendingSegments > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.sender.stop();
    await this.spool.close();
  }

  /** Called when an alarm is raised (a dropping spell began). */
  onAlarm(listener: () => void): void {
    this.alarmListeners.push(listener);
  }

  /** The per-session recorder, or null when the virtual database's policy is off (nothing to do per statement). */
  openSession(who: SessionIdentity): SessionAudit | null {
    const policy = auditPolicyOf(who.vdbConfig);
    if (policy.mode === "off" || this.analyzer === null) return null;
    return new SessionAudit({
      recorder: this.recorder,
      analyzer: this.analyzer,
      policy,
      virtualDatabase: who.virtualDatabase,
      credential: who.credential,
      clientAddress: who.clientAddress,
      applicationName: who.applicationName === "" ? null : who.applicationName,
    });
  }

  /** For the heartbeat: `audit_dropping` while events were dropped within the last minute. */
  alarms(now = Date.now()): AgentAlarm[] {
    const r = this.recorder;
    if (r.droppingSince === null || now - r.lastDropAt > ALARM_CLEAR_MS) return [];
    return [
      {
        code: "audit_dropping",
        message: `SQL audit events are being dropped (${this.counters.dropped} so far): ${r.lastDropReason}`,
        since: r.droppingSince.toISOString(),
      },
    ];
  }

  private count(delta: AuditCounters): void {
    this.counters.spooled += delta.spooled;
    this.counters.sent += delta.sent;
    this.counters.dropped += delta.dropped;
  }
}
