import { type AgentConfig, type AgentTrafficStrategy, type AgentVirtualDatabase, CircuitBreakMatcher, type ConcurrencyControl } from "@dbmesh/mesh";
import type { BackendHealth } from "../health/backend-health";
import type { BackendMetrics } from "../metrics";
import { parseScramVerifier, type ScramVerifier } from "../pg/scram-verifier";
import { type BackendTarget, toBackendTarget } from "../pool/backend-target";
import type { Pool, PoolSettings } from "../pool/pool";
import type { Semaphore } from "../proxy/semaphore";
import { type Balancer, createBalancer } from "../route/balancer";
import { MemoizedRule } from "../route/statement-rules";

// Everything a session needs from one AgentConfig, resolved once: backends split by role with their pools and
// health, balancers, rules, credentials with parsed verifiers. A snapshot never changes after it is built;
// applying a new config builds a new one and swaps a single reference. Sessions keep the snapshot they
// started with. Pools, health and semaphores are shared objects looked up by identity, so an unchanged
// backend keeps its warm connections across configs.

export type Role = "primary" | "replica";

export interface BackendRuntime {
  readonly name: string;
  readonly weight: number;
  readonly role: Role;
  readonly target: BackendTarget;
  readonly pool: Pool;
  readonly health: BackendHealth;
  readonly metrics: BackendMetrics;
}

export interface ConcurrencyRuntime {
  readonly rule: ConcurrencyControl;
  /** Whether a statement falls under the rule (its last answer kept). */
  readonly matcher: MemoizedRule;
  readonly semaphore: Semaphore;
}

export interface VirtualDatabaseRuntime {
  readonly name: string;
  readonly config: AgentVirtualDatabase;
  readonly strategy: AgentTrafficStrategy;
  readonly mode: "session" | "transaction";
  readonly primaries: readonly BackendRuntime[];
  readonly replicas: readonly BackendRuntime[];
  readonly backends: readonly BackendRuntime[];
  /** For least-connections balancing: connections in use on a backend of this virtual database. */
  readonly activeConnections: (backendName: string) => number;
  readonly primaryBalancer: Balancer;
  readonly replicaBalancer: Balancer;
  /** Compiled once per config snapshot (regexes, patterns); caches its answers per analysis. */
  readonly circuitBreaks: CircuitBreakMatcher;
  readonly concurrency: readonly ConcurrencyRuntime[];
}

export interface CredentialRuntime {
  readonly name: string;
  readonly verifier: ScramVerifier;
  readonly virtualDatabases: ReadonlySet<string>;
  /** The pre-rotation keys (same salt and iterations as `verifier`) and when they stop working (epoch ms). */
  readonly previous: { readonly storedKey: Buffer; readonly serverKey: Buffer; readonly validUntil: number } | null;
  /** Lease end (epoch ms); null: no lease. */
  readonly expiresAt: number | null;
  readonly revoked: boolean;
}

/** Why a credential may not be used now (revoked or lease ended), or null when it may. */
export function credentialRefusal(credential: CredentialRuntime, now = Date.now()): string | null {
  if (credential.revoked) return `credential "${credential.name}" was revoked in dbmesh`;
  if (credential.expiresAt !== null && now >= credential.expiresAt) {
    return `the lease of credential "${credential.name}" expired at ${new Date(credential.expiresAt).toISOString()}: renew it in dbmesh`;
  }
  return null;
}

export interface SnapshotResources {
  obtainPool(virtualDatabase: string, target: BackendTarget, settings: PoolSettings): Pool;
  health(target: BackendTarget): BackendHealth;
  semaphore(virtualDatabase: string, rule: ConcurrencyControl): Semaphore;
  backendMetrics(virtualDatabase: string, backend: string): BackendMetrics;
}

export class RuntimeSnapshot {
  /** Sessions started on this snapshot and still open (lifecycle bookkeeping, not config). */
  sessions = 0;
  /** False once a newer snapshot replaced it. */
  current = true;

  constructor(
    readonly config: AgentConfig,
    readonly virtualDatabases: ReadonlyMap<string, VirtualDatabaseRuntime>,
    readonly credentials: ReadonlyMap<string, CredentialRuntime>,
    /** Every pool this snapshot took a reference on. */
    readonly pools: readonly Pool[],
    /** Things in the config the agent could not use (logged by the caller). */
    readonly warnings: readonly string[],
  ) {}

  get revision(): number {
    return this.config.revision;
  }
}

export function buildSnapshot(config: AgentConfig, resources: SnapshotResources): RuntimeSnapshot {
  const warnings: string[] = [];
  const pools: Pool[] = [];
  const virtualDatabases = new Map<string, VirtualDatabaseRuntime>();

  for (const vdb of config.virtualDatabases) {
    const strategy = vdb.trafficStrategy;
    const settings: PoolSettings = {
      maxSize: strategy.connectionPool.maxSize,
      minIdle: strategy.connectionPool.minIdle,
      acquireTimeoutMs: strategy.connectionPool.acquireTimeoutMs,
      idleTimeoutMs: strategy.connectionPool.idleTimeoutMs,
      maxLifetimeMs: strategy.connectionPool.maxLifetimeMs,
    };
    const backends: BackendRuntime[] = [];
    for (const b of vdb.backends) {
      if (b.protocol !== "POSTGRESQL") {
        warnings.push(`backend ${b.name} of virtual database ${vdb.name} speaks ${b.protocol}: the agent only proxies PostgreSQL, so it is skipped`);
        continue;
      }
      const target = toBackendTarget(b, vdb.searchPath);
      const pool = resources.obtainPool(vdb.name, target, settings);
      pools.push(pool);
      backends.push({
        name: b.name,
        weight: b.weight,
        role: b.role === "REPLICA" ? "replica" : "primary",
        target,
        pool,
        health: resources.health(target),
        metrics: resources.backendMetrics(vdb.name, b.name),
      });
    }
    const byName = new Map(backends.map((b) => [b.name, b]));
    virtualDatabases.set(vdb.name, {
      name: vdb.name,
      config: vdb,
      strategy,
      mode: strategy.connectionPool.mode,
      primaries: backends.filter((b) => b.role === "primary"),
      replicas: backends.filter((b) => b.role === "replica"),
      backends,
      activeConnections: (name) => byName.get(name)?.pool.inUse ?? 0,
      primaryBalancer: createBalancer(strategy.loadBalance),
      replicaBalancer: createBalancer(strategy.loadBalance),
      circuitBreaks: new CircuitBreakMatcher(strategy.circuitBreaks, [...new Set(backends.map((b) => b.target.user))], vdb.searchPath),
      concurrency: strategy.concurrencyControls.map((rule) => ({ rule, matcher: new MemoizedRule(rule), semaphore: resources.semaphore(vdb.name, rule) })),
    });
  }

  const credentials = new Map<string, CredentialRuntime>();
  for (const c of config.credentials) {
    const verifier = parseScramVerifier(c.scramVerifier);
    if (verifier === null) {
      warnings.push(`credential ${c.name} has an unusable SCRAM verifier: it cannot log in`);
      continue;
    }
    credentials.set(c.name, {
      name: c.name,
      verifier,
      virtualDatabases: new Set(c.virtualDatabases),
      previous: previousKeys(c, verifier, warnings),
      expiresAt: c.expiresAt ? Date.parse(c.expiresAt) : null,
      revoked: c.revoked === true,
    });
  }

  return new RuntimeSnapshot(config, virtualDatabases, credentials, pools, warnings);
}

/**
 * The server sends salt and iterations before it knows which password the client holds, so a rotation
 * grace only works when the old verifier shares them with the new one; otherwise the old one is ignored.
 */
function previousKeys(c: AgentConfig["credentials"][number], current: ScramVerifier, warnings: string[]): CredentialRuntime["previous"] {
  if (!c.previousScramVerifier || !c.previousValidUntil) return null;
  const old = parseScramVerifier(c.previousScramVerifier);
  if (old === null || old.iterations !== current.iterations || !old.salt.equals(current.salt)) {
    warnings.push(`credential ${c.name}: its previous verifier has another salt or iteration count, so only the new password works`);
    return null;
  }
  return { storedKey: old.storedKey, serverKey: old.serverKey, validUntil: Date.parse(c.previousValidUntil) };
}
