import type { Logger } from "pino";
import type { BackendTarget } from "./backend-target";
import { Pool, type PoolHooks, type PoolSettings } from "./pool";
import type { ConnectOptions } from "./server-connection";

// Pools by (virtual database, backend identity). A config that keeps a backend unchanged gets the same pool
// object back, warm connections included. Each runtime snapshot holds a reference to the pools it uses; a
// pool no snapshot references any more (its backend left the config and the last session of an older
// snapshot ended) is closed.

const REAP_EVERY_MS = 1_000;

export class PoolRegistry {
  private readonly pools = new Map<string, Pool>();
  private readonly reaper: NodeJS.Timeout;

  constructor(
    private readonly connectOptions: ConnectOptions,
    private readonly hooks: PoolHooks,
    private readonly log: Logger,
  ) {
    this.reaper = setInterval(() => {
      const now = Date.now();
      for (const pool of this.pools.values()) pool.reap(now);
    }, REAP_EVERY_MS);
    this.reaper.unref();
  }

  /** The pool for this backend of this virtual database, with one more reference. */
  obtain(virtualDatabase: string, target: BackendTarget, settings: PoolSettings): Pool {
    const key = `${virtualDatabase}|${target.identity}`;
    let pool = this.pools.get(key);
    if (pool === undefined || pool.closed) {
      pool = new Pool(virtualDatabase, target, settings, this.connectOptions, this.hooks, this.log);
      this.pools.set(key, pool);
    } else if (!sameSettings(pool.settings, settings)) {
      pool.updateSettings(settings);
    }
    pool.refs++;
    return pool;
  }

  unref(pool: Pool): void {
    pool.refs--;
    if (pool.refs > 0) return;
    if (this.pools.get(pool.key) === pool) this.pools.delete(pool.key);
    this.log.info({ virtualDatabase: pool.virtualDatabase, backend: pool.target.name }, "pool closed: its backend left the configuration");
    pool.close();
  }

  values(): IterableIterator<Pool> {
    return this.pools.values();
  }

  /** Stops the reaper and closes every pool; `force` also cuts connections in use. */
  shutdown(force: boolean): void {
    clearInterval(this.reaper);
    for (const pool of this.pools.values()) {
      if (force) pool.destroyAll();
      else pool.close();
    }
  }
}

function sameSettings(a: PoolSettings, b: PoolSettings): boolean {
  return (
    a.maxSize === b.maxSize &&
    a.minIdle === b.minIdle &&
    a.acquireTimeoutMs === b.acquireTimeoutMs &&
    a.idleTimeoutMs === b.idleTimeoutMs &&
    a.maxLifetimeMs === b.maxLifetimeMs
  );
}
