export type CircuitState = "closed" | "open" | "half_open";

/**
 * One per backend. Closed: everything is tried; `failureThreshold` failures in a row open it. Open: nothing
 * is tried (the agent answers at once with a clear error) until `openMs` have passed. Half open: one trial
 * at a time; its success closes the circuit, its failure opens it for another `openMs`.
 *
 * Outcomes carry no trial id, so in half open the first outcome reported decides. A trial whose outcome is
 * never reported (a caller that forgot) does not wedge the breaker: after `openMs` another trial is allowed.
 */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly openMs: number;
  private readonly now: () => number;
  private current: CircuitState = "closed";
  private failures = 0;
  private openedAt = 0;
  private trialStartedAt: number | null = null;

  constructor(opts: { failureThreshold?: number; openMs?: number; now?: () => number } = {}) {
    this.failureThreshold = Math.max(1, opts.failureThreshold ?? 3);
    this.openMs = Math.max(0, opts.openMs ?? 5000);
    this.now = opts.now ?? Date.now;
  }

  /** "half_open" as soon as `openMs` have passed, even before anyone asks to try. */
  get state(): CircuitState {
    if (this.current === "open" && this.now() - this.openedAt >= this.openMs) this.current = "half_open";
    return this.current;
  }

  /** Whether a request may go to the backend now. In half open, a true is the one trial: report its outcome. */
  canTry(): boolean {
    switch (this.state) {
      case "closed":
        return true;
      case "open":
        return false;
      case "half_open": {
        const now = this.now();
        if (this.trialStartedAt !== null && now - this.trialStartedAt < this.openMs) return false;
        this.trialStartedAt = now;
        return true;
      }
    }
  }

  onSuccess(): void {
    // While open, a late success of a request sent before the circuit opened proves little: keep waiting.
    if (this.state === "open") return;
    this.current = "closed";
    this.failures = 0;
    this.trialStartedAt = null;
  }

  onFailure(): void {
    switch (this.state) {
      case "closed":
        if (++this.failures >= this.failureThreshold) this.open();
        return;
      case "half_open":
        this.open();
        return;
      case "open":
        return; // late failures do not extend the wait
    }
  }

  private open(): void {
    this.current = "open";
    this.openedAt = this.now();
    this.failures = 0;
    this.trialStartedAt = null;
  }
}
