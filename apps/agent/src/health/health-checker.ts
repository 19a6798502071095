import type { Logger } from "pino";
import { query } from "../pg/messages";
import { Backend } from "../pg/protocol";
import type { BackendTarget } from "../pool/backend-target";
import { type ConnectOptions, ServerConnection, scanningOwner } from "../pool/server-connection";
import type { BackendHealth } from "./backend-health";

// Probes one backend every few seconds with a fresh connection and `SELECT 1`: a fresh connection proves what a
// client needs (reachable, accepts our login, answers), which a long-lived probe connection would not.

export interface HealthCheckOptions {
  intervalMs: number;
  timeoutMs: number;
  connect: ConnectOptions;
}

export class HealthChecker {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly target: BackendTarget,
    readonly health: BackendHealth,
    private readonly options: HealthCheckOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.checkOnce().then(
        () => this.schedule(this.options.intervalMs),
        () => this.schedule(this.options.intervalMs),
      );
    }, delayMs);
    this.timer.unref();
  }

  /** One probe; records its outcome and never throws. */
  async checkOnce(): Promise<void> {
    const wasHealthy = this.health.healthy;
    try {
      await probe(this.target, { ...this.options.connect, connectTimeoutMs: this.options.timeoutMs }, this.options.timeoutMs);
      this.health.recordSuccess();
    } catch (err) {
      this.health.recordFailure(err instanceof Error ? err.message : String(err));
    }
    this.health.checkedAt = new Date();
    if (wasHealthy !== this.health.healthy && !this.stopped) {
      const fields = { backend: this.target.name, host: this.target.host, port: this.target.port, lastError: this.health.lastError };
      if (this.health.healthy) this.log.info(fields, "backend is healthy again");
      else this.log.warn(fields, "backend marked unhealthy: taken out of balancing");
    }
  }
}

async function probe(target: BackendTarget, connect: ConnectOptions, timeoutMs: number): Promise<void> {
  const server = await ServerConnection.connect(target, connect);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`SELECT 1 took longer than ${timeoutMs} ms`)), timeoutMs);
      let failed: string | null = null;
      server.attach(
        scanningOwner(
          {
            onMessage(type) {
              if (type === Backend.ErrorResponse) failed = "SELECT 1 failed";
              if (type === Backend.ReadyForQuery) {
                clearTimeout(timer);
                if (failed === null) resolve();
                else reject(new Error(failed));
              }
              return false;
            },
            forward() {},
            onProtocolError: (m) => reject(new Error(m)),
          },
          (reason) => {
            clearTimeout(timer);
            reject(new Error(reason));
          },
        ),
      );
      server.write(query("SELECT 1"));
    });
  } finally {
    server.detach();
    server.close();
  }
}
