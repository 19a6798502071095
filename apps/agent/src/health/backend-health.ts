import { CircuitBreaker } from "./circuit-breaker";

// What the agent knows about one backend's health, shared by every virtual database that uses it: the circuit
// breaker (fed by the health checker and by real connection attempts) and the last check, for heartbeats.

export const BREAKER_FAILURE_THRESHOLD = 3;
export const BREAKER_OPEN_MS = 5_000;

/** When a backend is ejected (failures in a row) and for how long before it is tried again (half open). */
export interface BreakerSettings {
  failureThreshold: number;
  openMs: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { failureThreshold: BREAKER_FAILURE_THRESHOLD, openMs: BREAKER_OPEN_MS };

export class BackendHealth {
  readonly breaker: CircuitBreaker;
  lastError: string | null = null;
  checkedAt: Date | null = null;

  constructor(settings: BreakerSettings = DEFAULT_BREAKER) {
    this.breaker = new CircuitBreaker(settings);
  }

  /** Eligible for balancing. Half open counts: the next check or connection decides. */
  get healthy(): boolean {
    return this.breaker.state !== "open";
  }

  recordSuccess(): void {
    this.breaker.onSuccess();
    this.lastError = null;
  }

  recordFailure(message: string): void {
    this.breaker.onFailure();
    this.lastError = message;
  }
}
