import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { SecureContext } from "node:tls";
import type { AgentConfig } from "@dbmesh/mesh";
import { loadNativeParser, loadSqlAnalyzer, type SqlAnalyzer } from "@dbmesh/sql";
import type { Logger } from "pino";
import type { AuditPipeline } from "./audit/audit-pipeline";
import type { BreakerSettings } from "./health/backend-health";
import { MetricsServer } from "./http/metrics-server";
import { AgentMetrics } from "./metrics";
import { CancelRegistry } from "./proxy/cancel-registry";
import { ProxyServer } from "./proxy/proxy-server";
import { AgentRuntime, type ApplyOutcome } from "./runtime";

// One agent: the PostgreSQL listener, the runtime (config, pools, health), metrics. It knows nothing about
// where configs come from: main.ts (or a test) feeds applyConfig().

export interface AgentOptions {
  log: Logger;
  listen: { host: string; port: number };
  /** null: no HTTP listener. */
  metricsListen: { host: string; port: number } | null;
  tls: SecureContext | null;
  maxMessageBytes: number;
  shutdownTimeoutMs: number;
  connectTimeoutMs: number;
  /** null: no periodic health checks. */
  healthCheck: { intervalMs: number; timeoutMs: number } | null;
  breaker?: BreakerSettings;
  applicationName?: string;
  handshakeTimeoutMs?: number;
  analyzer?: SqlAnalyzer;
  /** The SQL audit trail; null or absent: statements are not audited. */
  audit?: AuditPipeline | null;
}

export class Agent {
  readonly metrics = new AgentMetrics();
  readonly runtime: AgentRuntime;
  private readonly cancels = new CancelRegistry();
  private proxy: ProxyServer | null = null;
  private metricsServer: MetricsServer | null = null;
  private shuttingDown = false;
  private stopped: Promise<void> | null = null;
  address: AddressInfo | null = null;
  metricsAddress: AddressInfo | null = null;

  constructor(private readonly options: AgentOptions) {
    this.runtime = new AgentRuntime({
      log: options.log,
      metrics: this.metrics,
      connect: { connectTimeoutMs: options.connectTimeoutMs, applicationName: options.applicationName ?? "dbmesh-agent" },
      healthCheck: options.healthCheck,
      ...(options.breaker ? { breaker: options.breaker } : {}),
    });
  }

  /** Ready for clients: a config is applied and the agent is not shutting down. */
  get ready(): boolean {
    return this.runtime.current !== null && !this.shuttingDown;
  }

  applyConfig(config: AgentConfig): ApplyOutcome {
    return this.runtime.apply(config);
  }

  async start(): Promise<AddressInfo> {
    const { options } = this;
    const analyzer = options.analyzer ?? (await loadSqlAnalyzer());
    this.metrics.sqlParser.set({ backend: analyzer.parserBackend }, 1);
    const audit = options.audit ?? null;
    if (audit !== null) {
      this.metrics.enableAudit(() => audit.counters, () => audit.spool.bytes);
      audit.start(analyzer);
    }
    this.proxy = new ProxyServer({
      log: options.log,
      metrics: this.metrics,
      analyzer,
      runtime: this.runtime,
      cancels: this.cancels,
      audit,
      maxMessageBytes: options.maxMessageBytes,
      tls: options.tls,
      mockSecret: randomBytes(32),
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 30_000,
      isShuttingDown: () => this.shuttingDown,
    });
    if (options.metricsListen !== null) {
      this.metricsServer = new MetricsServer({ registry: this.metrics.registry, isReady: () => this.ready, log: options.log });
      this.metricsAddress = await this.metricsServer.listen(options.metricsListen.host, options.metricsListen.port);
    }
    this.address = await this.proxy.listen(options.listen.host, options.listen.port);
    options.log.info(
      {
        listen: `${this.address.address}:${this.address.port}`,
        metrics: this.metricsAddress?.port ?? null,
        tls: options.tls !== null,
        sqlParser: analyzer.parserBackend,
      },
      "agent listening",
    );
    if (analyzer.parserBackend === "wasm") {
      const { reason } = loadNativeParser();
      options.log.warn({ reason: reason || "DBMESH_SQL_PARSER=wasm" }, "SQL analysis uses the WASM parser: a new statement takes ~1.3x as long to analyze as with the native one");
    }
    return this.address;
  }

  /**
   * Graceful stop: no new clients, open transactions may finish until the shutdown deadline, then every
   * remaining connection is cut. Idempotent.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    const { log, shutdownTimeoutMs } = this.options;
    this.shuttingDown = true;
    this.proxy?.stopAccepting();
    const sessions = this.runtime.sessions;
    log.info({ sessions: sessions.size, deadlineMs: shutdownTimeoutMs }, "agent stopping: letting open transactions finish");
    for (const session of [...sessions]) session.beginShutdown();
    const deadline = Date.now() + shutdownTimeoutMs;
    while (sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (sessions.size > 0) {
      log.warn({ sessions: sessions.size }, "shutdown deadline reached: closing the remaining sessions");
      for (const session of [...sessions]) session.forceClose("the dbmesh agent shut down before this transaction finished");
    }
    this.proxy?.destroyAll();
    this.runtime.stop(true);
    // After the sessions: their last events are written, the open segment sealed; the rest ships after a restart.
    await this.options.audit?.stop();
    await this.metricsServer?.close();
    log.info("agent stopped");
  }
}
