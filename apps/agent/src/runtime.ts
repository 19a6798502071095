import type { AgentConfig, ConcurrencyControl } from "@dbmesh/mesh";
import type { Logger } from "pino";
import { buildSnapshot, type RuntimeSnapshot } from "./config/snapshot";
import { BackendHealth, type BreakerSettings } from "./health/backend-health";
import { HealthChecker } from "./health/health-checker";
import type { AgentMetrics, PoolWaitMetrics } from "./metrics";
import type { BackendTarget } from "./pool/backend-target";
import type { Pool } from "./pool/pool";
import { PoolRegistry } from "./pool/pool-registry";
import type { ConnectOptions } from "./pool/server-connection";
import { Semaphore } from "./proxy/semaphore";

// The agent's live state: the current snapshot, the pools, backend health and concurrency semaphores that
// snapshots share, and the open sessions. apply() is the only way a config takes effect.

export interface LiveSession {
  readonly snapshot: RuntimeSnapshot;
  readonly virtualDatabase: string;
  /** A newer config was applied: the session checks that its virtual database and credential still exist. */
  onConfigApplied(next: RuntimeSnapshot): void;
  /** Finish the current transaction, then close (graceful shutdown). */
  beginShutdown(): void;
  /** Close now, whatever is in flight. */
  forceClose(reason: string): void;
}

export interface RuntimeOptions {
  log: Logger;
  metrics: AgentMetrics;
  connect: ConnectOptions;
  /** null: no health checks (backends count as healthy until a real connection fails). */
  healthCheck: { intervalMs: number; timeoutMs: number } | null;
  /** Circuit breaker of every backend (default: 3 failures eject it for 5 s). */
  breaker?: BreakerSettings;
}

export type ApplyOutcome = { applied: true; snapshot: RuntimeSnapshot } | { applied: false; reason: "unchanged" | "stale" };

interface HealthEntry {
  health: BackendHealth;
  checker: HealthChecker | null;
}

export class AgentRuntime {
  current: RuntimeSnapshot | null = null;
  readonly sessions = new Set<LiveSession>();
  readonly pools: PoolRegistry;
  private readonly health = new Map<string, HealthEntry>();
  private readonly semaphores = new Map<string, Semaphore>();
  private leaseTimer: NodeJS.Timeout | null = null;
  private readonly log: Logger;

  constructor(private readonly options: RuntimeOptions) {
    this.log = options.log;
    const { metrics } = options;
    const poolWaitMetrics = new WeakMap<Pool, PoolWaitMetrics>();
    this.pools = new PoolRegistry(
      options.connect,
      {
        onConnectResult: (target, error) => {
          const h = this.healthOf(target);
          if (error === null) h.recordSuccess();
          else h.recordFailure(error.message);
        },
        onWait: (pool, waitedMs, outcome) => {
          metrics.totals.poolWaits++;
          // Under load nearly every transaction waits: its metric children are looked up once per pool.
          let m = poolWaitMetrics.get(pool);
          if (m === undefined) {
            m = metrics.forPoolWaits(pool.virtualDatabase, pool.target.name);
            poolWaitMetrics.set(pool, m);
          }
          m[outcome].inc();
          m.seconds.observe(waitedMs / 1000);
        },
        onServerCountChange: () => {},
      },
      options.log,
    );
    metrics.setGaugeSource({
      clientConnections: () => {
        const counts = new Map<string, number>();
        for (const s of this.sessions) counts.set(s.virtualDatabase, (counts.get(s.virtualDatabase) ?? 0) + 1);
        return counts;
      },
      serverConnections: () =>
        [...this.pools.values()].map((p) => ({
          virtualDatabase: p.virtualDatabase,
          backend: p.target.name,
          idle: p.idleCount,
          active: p.inUse,
        })),
      backendHealth: () => this.backendStates(),
    });
  }

  /** Applies a config unless it is the one already served or an older one. Never throws on content. */
  apply(config: AgentConfig): ApplyOutcome {
    const previous = this.current;
    if (previous !== null) {
      if (config.revision < previous.revision) return { applied: false, reason: "stale" };
      if (config.revision === previous.revision && config.generatedFrom.digest === previous.config.generatedFrom.digest) {
        return { applied: false, reason: "unchanged" };
      }
    }
    const snapshot = buildSnapshot(config, {
      obtainPool: (vdb, target, settings) => this.pools.obtain(vdb, target, settings),
      health: (target) => this.healthOf(target),
      semaphore: (vdb, rule) => this.semaphoreFor(vdb, rule),
      backendMetrics: (vdb, backend) => this.options.metrics.forBackend(vdb, backend),
    });
    for (const warning of snapshot.warnings) this.log.warn({ revision: config.revision }, warning);
    this.current = snapshot;
    this.syncHealthCheckers(snapshot);
    if (previous !== null) {
      previous.current = false;
      if (previous.sessions === 0) this.releaseSnapshot(previous);
    }
    this.options.metrics.configRevision.set(config.revision);
    for (const session of [...this.sessions]) session.onConfigApplied(snapshot);
    this.scheduleLeaseCheck(snapshot);
    this.log.info(
      {
        revision: config.revision,
        digest: config.generatedFrom.digest,
        virtualDatabases: config.virtualDatabases.length,
        credentials: snapshot.credentials.size,
      },
      "configuration applied",
    );
    return { applied: true, snapshot };
  }

  sessionStarted(session: LiveSession): void {
    session.snapshot.sessions++;
    this.sessions.add(session);
  }

  sessionEnded(session: LiveSession): void {
    if (!this.sessions.delete(session)) return;
    const snapshot = session.snapshot;
    snapshot.sessions--;
    if (!snapshot.current && snapshot.sessions === 0) this.releaseSnapshot(snapshot);
  }

  /** Health of each backend of each virtual database in the current config (heartbeats, metrics). */
  backendStates(): { virtualDatabase: string; backend: string; healthy: boolean; lastError: string | null; checkedAt: Date | null }[] {
    const out = [];
    for (const vdb of this.current?.virtualDatabases.values() ?? []) {
      for (const b of vdb.backends) {
        out.push({ virtualDatabase: vdb.name, backend: b.name, healthy: b.health.healthy, lastError: b.health.lastError, checkedAt: b.health.checkedAt });
      }
    }
    return out;
  }

  /** Stops health checks and closes pools (`force` also cuts connections in use). */
  stop(force: boolean): void {
    if (this.leaseTimer !== null) clearTimeout(this.leaseTimer);
    for (const entry of this.health.values()) entry.checker?.stop();
    this.pools.shutdown(force);
  }

  /**
   * A credential's lease ends on the agent's clock, with no new config to tell the sessions: at the next
   * lease end, re-check the open sessions against the current snapshot (which closes those whose lease ended).
   */
  private scheduleLeaseCheck(snapshot: RuntimeSnapshot): void {
    if (this.leaseTimer !== null) clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    const now = Date.now();
    let next = Infinity;
    for (const c of snapshot.credentials.values()) if (c.expiresAt !== null && c.expiresAt > now && c.expiresAt < next) next = c.expiresAt;
    if (next === Infinity) return;
    // setTimeout's limit is ~24.8 days; a later lease end just re-arms.
    this.leaseTimer = setTimeout(() => {
      if (this.current !== snapshot) return;
      for (const session of [...this.sessions]) session.onConfigApplied(snapshot);
      this.scheduleLeaseCheck(snapshot);
    }, Math.min(next - now + 5, 2 ** 31 - 1));
    this.leaseTimer.unref();
  }

  private healthOf(target: BackendTarget): BackendHealth {
    let entry = this.health.get(target.identity);
    if (entry === undefined) {
      entry = { health: new BackendHealth(this.options.breaker), checker: null };
      this.health.set(target.identity, entry);
    }
    return entry.health;
  }

  /** One checker per backend identity of the current config; checkers of backends that left stop. */
  private syncHealthCheckers(snapshot: RuntimeSnapshot): void {
    const wanted = new Map<string, BackendTarget>();
    for (const vdb of snapshot.virtualDatabases.values()) for (const b of vdb.backends) wanted.set(b.target.identity, b.target);
    for (const [identity, entry] of this.health) {
      if (!wanted.has(identity)) {
        entry.checker?.stop();
        this.health.delete(identity);
      }
    }
    const check = this.options.healthCheck;
    if (check === null) return;
    for (const [identity, target] of wanted) {
      const entry = this.health.get(identity);
      if (entry === undefined || entry.checker !== null) continue;
      // Its own application_name, so that probes are easy to tell from pooled connections in pg_stat_activity.
      const connect = { ...this.options.connect, applicationName: `${this.options.connect.applicationName}-health` };
      entry.checker = new HealthChecker(target, entry.health, { ...check, connect }, this.log);
      entry.checker.start();
    }
  }

  private semaphoreFor(vdb: string, rule: ConcurrencyControl): Semaphore {
    const key = `${vdb}|${rule.name}`;
    let semaphore = this.semaphores.get(key);
    if (semaphore === undefined) {
      semaphore = new Semaphore(rule.maxConcurrency);
      this.semaphores.set(key, semaphore);
    } else if (semaphore.max !== rule.maxConcurrency) {
      semaphore.resize(rule.maxConcurrency);
    }
    return semaphore;
  }

  private releaseSnapshot(snapshot: RuntimeSnapshot): void {
    for (const pool of snapshot.pools) this.pools.unref(pool);
  }
}
