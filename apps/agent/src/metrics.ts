import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { type CounterChild, FastCounter, FastHistogram, type HistogramChild } from "./fast-metrics";

// The agent's Prometheus metrics, on a registry of its own (tests run several agents in one process). Label
// children used per query are looked up once per backend and role (see BackendMetrics), never per message, and
// the per-query and per-wait ones are fast-metrics children (plain fields; prom-client's own children hash
// their labels on every call). Plain counters mirror what the heartbeat reports.

const AUDIT_OUTCOMES = ["spooled", "sent", "dropped"] as const;
type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export class AgentMetrics {
  readonly registry = new Registry();

  /** Filled at scrape time from the live sessions and pools (see setGaugeSource): nothing to update per query. */
  private gaugeSource: GaugeSource | null = null;

  readonly clientConnections = new Gauge({
    name: "dbmesh_agent_client_connections",
    help: "Client connections open on the agent, by virtual database.",
    labelNames: ["virtual_database"] as const,
    registers: [this.registry],
    collect: () => {
      this.clientConnections.reset();
      for (const [vdb, n] of this.gaugeSource?.clientConnections() ?? []) this.clientConnections.set({ virtual_database: vdb }, n);
    },
  });
  readonly serverConnections = new Gauge({
    name: "dbmesh_agent_server_connections",
    help: "Backend connections held by pools, by state (idle, active).",
    labelNames: ["virtual_database", "backend", "state"] as const,
    registers: [this.registry],
    collect: () => {
      this.serverConnections.reset();
      for (const p of this.gaugeSource?.serverConnections() ?? []) {
        this.serverConnections.set({ virtual_database: p.virtualDatabase, backend: p.backend, state: "idle" }, p.idle);
        this.serverConnections.set({ virtual_database: p.virtualDatabase, backend: p.backend, state: "active" }, p.active);
      }
    },
  });
  readonly poolWaits = new FastCounter(
    "dbmesh_agent_pool_waits_total",
    "Times a client had to wait for a backend connection, by outcome (served, timeout, error).",
    ["virtual_database", "backend", "outcome"],
    [this.registry],
  );
  readonly poolWaitSeconds = new FastHistogram(
    "dbmesh_agent_pool_wait_seconds",
    "How long clients waited for a backend connection.",
    ["virtual_database", "backend"],
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    [this.registry],
  );
  readonly queries = new FastCounter(
    "dbmesh_agent_queries_total",
    "Query cycles (a Query, or messages up to a Sync) answered, by backend and route.",
    ["virtual_database", "backend", "route"],
    [this.registry],
  );
  readonly queryDuration = new FastHistogram(
    "dbmesh_agent_query_duration_seconds",
    "From the message that starts a query cycle to its ReadyForQuery.",
    ["virtual_database", "backend", "route"],
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
    [this.registry],
  );
  readonly deniedStatements = new Counter({
    name: "dbmesh_agent_denied_statements_total",
    help: "Statements refused by the agent, by rule and reason (access, syntax, rate_limit, circuit_break, concurrency, analysis).",
    labelNames: ["virtual_database", "rule", "reason"] as const,
    registers: [this.registry],
  });
  readonly configRevision = new Gauge({
    name: "dbmesh_agent_config_revision",
    help: "Revision of the configuration the agent serves (-1 before the first).",
    registers: [this.registry],
  });
  readonly sqlParser = new Gauge({
    name: "dbmesh_agent_sql_parser",
    help: "1 for the build of PostgreSQL's parser that analyzes statements: native, or wasm (the slower fallback).",
    labelNames: ["backend"] as const,
    registers: [this.registry],
  });
  readonly configErrors = new Counter({
    name: "dbmesh_agent_config_errors_total",
    help: "Configurations not applied, by reason (invalid, fetch, unauthorized, stale).",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly backendHealthy = new Gauge({
    name: "dbmesh_agent_backend_healthy",
    help: "1 when the backend's circuit is closed or half open, 0 when open.",
    labelNames: ["virtual_database", "backend"] as const,
    registers: [this.registry],
    collect: () => {
      this.backendHealthy.reset();
      for (const b of this.gaugeSource?.backendHealth() ?? []) {
        this.backendHealthy.set({ virtual_database: b.virtualDatabase, backend: b.backend }, b.healthy ? 1 : 0);
      }
    },
  });

  readonly auditEvents = new Counter({
    name: "dbmesh_agent_audit_events_total",
    help: "SQL audit events by outcome: spooled (written to the on-disk spool), sent (acknowledged by the control plane), dropped (memory buffer or spool full, disk error, or refused by the control plane).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
    // Read from the audit pipeline's own totals at scrape time: an inc() per spool write was ~0.4 µs per
    // audited statement at -c 8 (prom-client hashes the labels on every call).
    collect: () => {
      const totals = this.auditTotalsSource?.();
      if (totals === undefined) return;
      this.auditEvents.reset();
      for (const outcome of AUDIT_OUTCOMES) this.auditEvents.inc({ outcome }, totals[outcome]);
    },
  });
  private auditTotalsSource: (() => Readonly<Record<AuditOutcome, number>>) | null = null;
  readonly auditSpoolBytes = new Gauge({
    name: "dbmesh_agent_audit_spool_bytes",
    help: "Bytes of SQL audit events in the on-disk spool, not yet acknowledged by the control plane.",
    registers: [this.registry],
    collect: () => {
      this.auditSpoolBytes.set(this.auditSpoolSource?.() ?? 0);
    },
  });
  private auditSpoolSource: (() => number) | null = null;

  /** Totals for the heartbeat. */
  readonly totals = { queries: 0, errors: 0, poolWaits: 0 };

  constructor() {
    this.configRevision.set(-1);
    collectDefaultMetrics({ register: this.registry, prefix: "dbmesh_agent_" });
  }

  setGaugeSource(source: GaugeSource): void {
    this.gaugeSource = source;
  }

  /** The audit series exist (at 0) from the start once auditing is on; totals and spool size are read at scrape time. */
  enableAudit(totals: () => Readonly<Record<AuditOutcome, number>>, spoolBytes: () => number): void {
    this.auditTotalsSource = totals;
    this.auditSpoolSource = spoolBytes;
    for (const outcome of AUDIT_OUTCOMES) this.auditEvents.inc({ outcome }, 0);
  }

  forBackend(virtualDatabase: string, backend: string): BackendMetrics {
    return {
      queriesPrimary: this.queries.labels(virtualDatabase, backend, "primary"),
      queriesReplica: this.queries.labels(virtualDatabase, backend, "replica"),
      durationPrimary: this.queryDuration.labels(virtualDatabase, backend, "primary"),
      durationReplica: this.queryDuration.labels(virtualDatabase, backend, "replica"),
    };
  }

  /** Children for one pool's waits (one per outcome, and the wait histogram). */
  forPoolWaits(virtualDatabase: string, backend: string): PoolWaitMetrics {
    return {
      served: this.poolWaits.labels(virtualDatabase, backend, "served"),
      timeout: this.poolWaits.labels(virtualDatabase, backend, "timeout"),
      error: this.poolWaits.labels(virtualDatabase, backend, "error"),
      seconds: this.poolWaitSeconds.labels(virtualDatabase, backend),
    };
  }
}

export interface BackendMetrics {
  queriesPrimary: CounterChild;
  queriesReplica: CounterChild;
  durationPrimary: HistogramChild;
  durationReplica: HistogramChild;
}

export interface PoolWaitMetrics {
  served: CounterChild;
  timeout: CounterChild;
  error: CounterChild;
  seconds: HistogramChild;
}

export interface GaugeSource {
  clientConnections(): Iterable<[string, number]>;
  serverConnections(): Iterable<{ virtualDatabase: string; backend: string; idle: number; active: number }>;
  backendHealth(): Iterable<{ virtualDatabase: string; backend: string; healthy: boolean }>;
}
