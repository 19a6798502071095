// A token bucket: `ratePerSecond` tokens a second, holding at most one second's worth, so a client may burst
// up to its rate and then runs at it. No timers: tokens are refilled from the clock when one is asked for.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private ratePerSecond: number,
    now: number,
  ) {
    this.tokens = ratePerSecond;
    this.last = now;
  }

  get rate(): number {
    return this.ratePerSecond;
  }

  /** A new config changed the rate: keep the tokens, within the new capacity. */
  setRate(ratePerSecond: number): void {
    this.ratePerSecond = ratePerSecond;
    if (this.tokens > ratePerSecond) this.tokens = ratePerSecond;
  }

  /** Takes `n` tokens if there are that many (refilled up to `now`, in ms). */
  tryTake(n: number, now: number): boolean {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.ratePerSecond, this.tokens + (elapsed * this.ratePerSecond) / 1000);
      this.last = now;
    }
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}
