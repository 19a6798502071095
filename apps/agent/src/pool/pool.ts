import type { Logger } from "pino";
import { COARSE_CLOCK_RESOLUTION_MS, coarseNow } from "../coarse-clock";
import type { BackendTarget } from "./backend-target";
import { BackendConnectError, type ConnectOptions, ServerConnection } from "./server-connection";

// The server connections of one backend for one virtual database. Acquiring is synchronous when an idle
// connection exists (the hot path never awaits); otherwise the caller waits in a FIFO queue for a released or
// newly opened connection, up to acquireTimeoutMs, and then gets a clear 53300 error. Connections past their
// idle timeout or lifetime are closed by the registry's reaper or when they come back.

export interface PoolSettings {
  maxSize: number;
  /** Connections kept open even when idle (warmed by the reaper). */
  minIdle: number;
  acquireTimeoutMs: number;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
}

export interface PoolWaiter {
  onServer(server: ServerConnection): void;
  onPoolError(code: string, message: string): void;
}

export interface PoolHooks {
  /** A connection could or could not be opened: feeds the backend's circuit breaker. */
  onConnectResult(target: BackendTarget, error: Error | null): void;
  onWait(pool: Pool, waitedMs: number, outcome: "served" | "timeout" | "error"): void;
  onServerCountChange(): void;
}

/** After a failed connect, minIdle warm-up waits this long before trying again. */
const WARM_UP_BACKOFF_MS = 5_000;

interface QueuedWaiter {
  waiter: PoolWaiter;
  since: number;
  deadline: number;
}

export class Pool {
  private readonly idle: ServerConnection[] = [];
  private readonly queue: QueuedWaiter[] = [];
  /**
   * One timer for the whole queue, due at the earliest deadline when it was armed: under load nearly every
   * transaction waits, and a timer per waiter (set, then cleared when served a moment later) cost more than the
   * wait bookkeeping itself.
   */
  private timeoutTimer: NodeJS.Timeout | null = null;
  private timeoutDueAt = 0;
  private readonly all = new Set<ServerConnection>();
  private opening = 0;
  private lastConnectFailureAt = 0;
  inUse = 0;
  /** ParameterStatus values of the first connection: what clients are told after they log in. */
  parameters: Map<string, string> | null = null;
  /** Snapshots referencing this pool; at zero it closes. */
  refs = 0;
  closed = false;

  constructor(
    readonly virtualDatabase: string,
    readonly target: BackendTarget,
    public settings: PoolSettings,
    private readonly connectOptions: ConnectOptions,
    private readonly hooks: PoolHooks,
    private readonly log: Logger,
  ) {}

  get key(): string {
    return `${this.virtualDatabase}|${this.target.identity}`;
  }

  get size(): number {
    return this.all.size + this.opening;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** An idle connection now, or null (then call acquire()). */
  tryAcquire(): ServerConnection | null {
    if (this.closed || this.queue.length > 0) return null;
    for (let server = this.idle.pop(); server !== undefined; server = this.idle.pop()) {
      if (server.closed) continue;
      if (this.expired(server)) {
        server.close();
        continue;
      }
      this.inUse++;
      return server;
    }
    return null;
  }

  /** Waits for a connection; the waiter is called back exactly once, never synchronously, unless cancelWait() removes it first. */
  acquire(waiter: PoolWaiter): void {
    if (this.closed) {
      // Never call back before acquire() returns: callers set their waiting state after calling it.
      queueMicrotask(() =>
        waiter.onPoolError("08006", `the pool for backend ${this.target.name} of virtual database ${this.virtualDatabase} is closed`),
      );
      return;
    }
    const since = Date.now();
    const deadline = since + this.settings.acquireTimeoutMs;
    this.queue.push({ waiter, since, deadline });
    if (this.timeoutTimer === null || deadline < this.timeoutDueAt) this.armTimeout(deadline, since);
    this.openIfNeeded();
  }

  cancelWait(waiter: PoolWaiter): void {
    const at = this.queue.findIndex((q) => q.waiter === waiter);
    if (at === -1) return;
    this.queue.splice(at, 1);
    if (this.queue.length === 0) this.disarmTimeout();
  }

  /** Gives a connection back. `reusable` false: its state is unknown, close it. */
  release(server: ServerConnection, reusable: boolean): void {
    this.inUse--;
    server.detach();
    if (!reusable || server.closed || this.closed || this.expired(server) || this.all.size > this.settings.maxSize) {
      server.close();
      this.openIfNeeded();
      return;
    }
    this.handOff(server);
  }

  /** A new config changed the strategy's pool settings: a larger pool can serve waiters at once. */
  updateSettings(settings: PoolSettings): void {
    this.settings = settings;
    this.openIfNeeded();
  }

  /** Closes idle connections past their idle timeout or lifetime (above minIdle), and warms up to minIdle. */
  reap(now: number): void {
    const { idleTimeoutMs, minIdle, maxSize } = this.settings;
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const server = this.idle[i] as ServerConnection;
      // lastUsedAt is by the coarse clock (up to a tick early): a tick more, so that none closes before its time.
      const idleTooLong = idleTimeoutMs > 0 && now - server.lastUsedAt >= idleTimeoutMs + COARSE_CLOCK_RESOLUTION_MS && this.all.size > minIdle;
      if (idleTooLong || this.expired(server, now)) {
        this.idle.splice(i, 1);
        server.close();
      }
    }
    // Warm-up stops after a failed connect until one succeeds again (a waiter's attempt, or the backoff).
    const wanted = Math.min(minIdle, maxSize);
    if (!this.closed && this.size < wanted && now - this.lastConnectFailureAt > WARM_UP_BACKOFF_MS) this.open();
  }

  /** Closes idle connections now; those in use close when released; waiters fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const server of this.idle.splice(0)) server.close();
    this.disarmTimeout();
    for (const entry of this.queue.splice(0)) {
      entry.waiter.onPoolError("08006", `backend ${this.target.name} was removed from virtual database ${this.virtualDatabase}`);
    }
  }

  /** Closes every connection at once, in use or not (shutdown deadline). */
  destroyAll(): void {
    this.close();
    for (const server of [...this.all]) server.destroy("the agent is shutting down");
  }

  private expired(server: ServerConnection, now?: number): boolean {
    const lifetime = this.settings.maxLifetimeMs;
    if (lifetime <= 0) return false;
    if (now !== undefined) return now - server.createdAt >= lifetime;
    // The coarse clock runs behind: only within a tick of the deadline is the real one asked (never early).
    if (coarseNow() - server.createdAt < lifetime - COARSE_CLOCK_RESOLUTION_MS) return false;
    return Date.now() - server.createdAt >= lifetime;
  }

  private armTimeout(dueAt: number, now: number): void {
    if (this.timeoutTimer !== null) clearTimeout(this.timeoutTimer);
    this.timeoutDueAt = dueAt;
    this.timeoutTimer = setTimeout(this.onTimeout, Math.max(0, dueAt - now));
  }

  private disarmTimeout(): void {
    if (this.timeoutTimer !== null) clearTimeout(this.timeoutTimer);
    this.timeoutTimer = null;
  }

  /** Fails every waiter past its deadline (in queue order), then re-arms for the earliest one left. */
  private readonly onTimeout = (): void => {
    this.timeoutTimer = null;
    const now = Date.now();
    let next = Infinity;
    // Deadlines usually grow along the queue, but a config change of acquireTimeoutMs can break that: scan it all.
    for (let i = 0; i < this.queue.length; ) {
      const entry = this.queue[i] as QueuedWaiter;
      if (entry.deadline > now) {
        if (entry.deadline < next) next = entry.deadline;
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      const waited = now - entry.since;
      this.hooks.onWait(this, waited, "timeout");
      entry.waiter.onPoolError(
        "53300",
        `the connection pool for backend ${this.target.name} of virtual database ${this.virtualDatabase} is exhausted: waited ${waited} ms for one of its ${this.settings.maxSize} connections`,
      );
      // onPoolError may have changed the queue (a session resuming may wait again): restart the scan.
      i = 0;
      next = Infinity;
    }
    // A waiter that failed may have queued again (and armed the timer for its own, later deadline).
    if (next !== Infinity && (this.timeoutTimer === null || next < this.timeoutDueAt)) this.armTimeout(next, now);
  };

  private handOff(server: ServerConnection): void {
    const entry = this.queue.shift();
    if (entry === undefined) {
      this.idle.push(server);
      return;
    }
    if (this.queue.length === 0) this.disarmTimeout();
    this.inUse++;
    this.hooks.onWait(this, Date.now() - entry.since, "served");
    entry.waiter.onServer(server);
  }

  private openIfNeeded(): void {
    while (!this.closed && this.queue.length > this.opening && this.size < this.settings.maxSize) this.open();
  }

  private open(): void {
    this.opening++;
    ServerConnection.connect(this.target, this.connectOptions).then(
      (server) => {
        this.opening--;
        this.hooks.onConnectResult(this.target, null);
        if (this.parameters === null) this.parameters = server.parameters;
        if (this.closed) {
          server.close();
          return;
        }
        this.all.add(server);
        server.onGone = (s) => {
          this.all.delete(s);
          const at = this.idle.indexOf(s);
          if (at !== -1) this.idle.splice(at, 1);
          this.hooks.onServerCountChange();
          this.openIfNeeded();
        };
        this.hooks.onServerCountChange();
        this.handOff(server);
      },
      (err: unknown) => {
        this.opening--;
        this.lastConnectFailureAt = Date.now();
        const error = err instanceof Error ? err : new Error(String(err));
        this.hooks.onConnectResult(this.target, error);
        this.log.warn({ backend: this.target.name, virtualDatabase: this.virtualDatabase, err: error.message }, "backend connection failed");
        // The oldest waiter learns why at once instead of timing out; the others get their own attempt.
        const entry = this.queue.shift();
        if (entry !== undefined) {
          if (this.queue.length === 0) this.disarmTimeout();
          this.hooks.onWait(this, Date.now() - entry.since, "error");
          const code = err instanceof BackendConnectError ? err.code : "08006";
          entry.waiter.onPoolError(
            code,
            `could not connect to backend ${this.target.name} of virtual database ${this.virtualDatabase} (${this.target.host}:${this.target.port}): ${error.message}`,
          );
        }
        this.openIfNeeded();
      },
    );
  }
}
