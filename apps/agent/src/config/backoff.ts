/**
 * Exponential backoff with jitter, as PROTOCOL.md asks: 1 s doubling to 30 s. The delay is drawn from the upper
 * half of the step ("equal jitter"), so retries spread out yet never collapse to zero.
 */
export function backoffDelayMs(failures: number, random: () => number = Math.random, baseMs = 1_000, maxMs = 30_000): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
