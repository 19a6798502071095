import type { Logger } from "pino";
import type { Agent } from "../agent";
import type { AgentAlarm, AuditPipeline } from "../audit/audit-pipeline";
import { AGENT_VERSION } from "../version";
import type { AgentApiClient } from "./api-client";

// POST /api/agent/v1/heartbeat every 10 seconds and right after a config is applied (PROTOCOL.md). A failed
// heartbeat is logged and forgotten; the console answering with a newer revision wakes the poller.

export const HEARTBEAT_INTERVAL_MS = 10_000;

export interface HeartbeatBody {
  name: string;
  version: string;
  address: string;
  startedAt: string;
  appliedRevision: number | null;
  backends: { virtualDatabase: string; backend: string; healthy: boolean; lastError: string | null; checkedAt: string | null }[];
  counters: {
    clientConnections: number;
    serverConnections: number;
    queriesTotal: number;
    queriesPerSecond: number;
    errorsTotal: number;
    poolWaitsTotal: number;
    /** Present when the SQL audit is on. */
    auditSpooled?: number;
    auditSent?: number;
    auditDropped?: number;
    auditSpoolBytes?: number;
  };
  /** Conditions an operator must see (e.g. `audit_dropping`); empty when all is well. */
  alarms: AgentAlarm[];
}

export interface HeartbeatOptions {
  api: AgentApiClient;
  agent: Agent;
  /** The SQL audit trail, for its counters and alarm. */
  audit?: AuditPipeline | null;
  name: string;
  address: string;
  log: Logger;
  onNewerRevision: (revision: number) => void;
  intervalMs?: number;
}

export class HeartbeatSender {
  private readonly startedAt = new Date().toISOString();
  private timer: NodeJS.Timeout | null = null;
  private lastQueries = 0;
  private lastAt = Date.now();
  private sending = false;

  constructor(private readonly options: HeartbeatOptions) {}

  start(): void {
    const tick = () => {
      void this.sendNow().finally(() => {
        if (this.timer !== null) this.timer = setTimeout(tick, this.options.intervalMs ?? HEARTBEAT_INTERVAL_MS);
      });
    };
    this.timer = setTimeout(tick, this.options.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  build(): HeartbeatBody {
    const { agent } = this.options;
    const now = Date.now();
    const totals = agent.metrics.totals;
    const seconds = Math.max(0.001, (now - this.lastAt) / 1000);
    const qps = Math.round(((totals.queries - this.lastQueries) / seconds) * 10) / 10;
    this.lastQueries = totals.queries;
    this.lastAt = now;
    const audit = this.options.audit ?? null;
    let serverConnections = 0;
    for (const pool of agent.runtime.pools.values()) serverConnections += pool.idleCount + pool.inUse;
    return {
      name: this.options.name,
      version: AGENT_VERSION,
      address: this.options.address,
      startedAt: this.startedAt,
      appliedRevision: agent.runtime.current?.revision ?? null,
      backends: agent.runtime.backendStates().map((b) => ({ ...b, checkedAt: b.checkedAt?.toISOString() ?? null })),
      counters: {
        clientConnections: agent.runtime.sessions.size,
        serverConnections,
        queriesTotal: totals.queries,
        queriesPerSecond: qps,
        errorsTotal: totals.errors,
        poolWaitsTotal: totals.poolWaits,
        ...(audit === null
          ? {}
          : { auditSpooled: audit.counters.spooled, auditSent: audit.counters.sent, auditDropped: audit.counters.dropped, auditSpoolBytes: audit.spool.bytes }),
      },
      alarms: audit?.alarms() ?? [],
    };
  }

  async sendNow(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      const body = this.build();
      const result = await this.options.api.postHeartbeat(body);
      if (!result.ok) {
        this.options.log.warn({ reason: result.message }, "heartbeat failed");
        return;
      }
      const applied = body.appliedRevision;
      if (result.currentRevision !== null && (applied === null || result.currentRevision > applied)) {
        this.options.onNewerRevision(result.currentRevision);
      }
    } finally {
      this.sending = false;
    }
  }
}
