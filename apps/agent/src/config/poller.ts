import { AgentConfig } from "@dbmesh/mesh";
import type { Logger } from "pino";
import type { AgentMetrics } from "../metrics";
import type { ApplyOutcome } from "../runtime";
import type { AgentApiClient } from "./api-client";
import { backoffDelayMs } from "./backoff";

// Keeps the agent's config current by long-polling the console (PROTOCOL.md). A bad poll never stops serving:
// network errors and 5xx back off (1 s → 30 s, jittered), a 401 retries slowly, a config that fails the
// schema is counted and ignored, and the loop never throws.

export interface ConfigPollerOptions {
  api: AgentApiClient;
  waitSeconds: number;
  /** The revision being served (sent as If-None-Match), null before any. */
  appliedRevision: () => number | null;
  /** Applies a valid config. */
  onConfig: (config: AgentConfig) => ApplyOutcome;
  log: Logger;
  metrics: AgentMetrics;
  /** How long to wait after a 401 (a DBA may fix the token). */
  unauthorizedRetryMs?: number;
  random?: () => number;
}

export class ConfigPoller {
  private stopped = false;
  private running: Promise<void> | null = null;
  private inflight: AbortController | null = null;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  private failures = 0;

  constructor(private readonly options: ConfigPollerOptions) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.inflight?.abort();
    this.wakeSleep();
    await this.running;
  }

  /** Poll now (the heartbeat learned of a newer revision). */
  wake(): void {
    this.inflight?.abort();
    this.wakeSleep();
  }

  private async loop(): Promise<void> {
    const { log } = this.options;
    while (!this.stopped) {
      try {
        await this.pollOnce();
      } catch (err) {
        // Only a bug gets here; keep polling all the same.
        log.error({ err }, "config poll failed unexpectedly");
        await this.sleep(backoffDelayMs(++this.failures, this.options.random));
      }
    }
  }

  private async pollOnce(): Promise<void> {
    const { api, log, metrics } = this.options;
    this.inflight = new AbortController();
    const result = await api.fetchConfig({
      revision: this.options.appliedRevision(),
      waitSeconds: this.options.waitSeconds,
      signal: this.inflight.signal,
    });
    const aborted = this.inflight.signal.aborted;
    this.inflight = null;
    if (this.stopped) return;
    if (aborted && result.kind === "error") return; // woken on purpose: ask again at once

    switch (result.kind) {
      case "unchanged":
        this.failures = 0;
        return;
      case "unauthorized":
        metrics.configErrors.inc({ reason: "unauthorized" });
        log.error({ reason: result.message }, "the console refused the agent token (401): fix DBMESH_AGENT_TOKEN; retrying slowly");
        await this.sleep(this.options.unauthorizedRetryMs ?? 60_000);
        return;
      case "error": {
        metrics.configErrors.inc({ reason: "fetch" });
        const delay = backoffDelayMs(++this.failures, this.options.random);
        log.warn({ reason: result.message, retryInMs: delay }, "config poll failed: serving the last good config");
        await this.sleep(delay);
        return;
      }
      case "config": {
        const parsed = AgentConfig.safeParse(result.body);
        if (!parsed.success) {
          metrics.configErrors.inc({ reason: "invalid" });
          // Issue paths and messages only: the body carries passwords.
          const issues = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join(".")}: ${i.message}`);
          const delay = backoffDelayMs(++this.failures, this.options.random);
          log.error({ issues, retryInMs: delay }, "the console sent a config that fails the AgentConfig schema: ignored, keeping the last good one");
          await this.sleep(delay);
          return;
        }
        const outcome = this.options.onConfig(parsed.data);
        if (outcome.applied) {
          this.failures = 0;
          return;
        }
        // A 200 that changes nothing (or goes back in time) must not turn into a busy loop.
        if (outcome.reason === "stale") {
          metrics.configErrors.inc({ reason: "stale" });
          log.warn({ revision: parsed.data.revision, applied: this.options.appliedRevision() }, "the console sent an older revision: ignored");
        }
        await this.sleep(backoffDelayMs(++this.failures, this.options.random));
        return;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping = null;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping = { timer, wake };
    });
  }

  private wakeSleep(): void {
    this.sleeping?.wake();
  }
}
