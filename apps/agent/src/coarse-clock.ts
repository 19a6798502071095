// Milliseconds since the epoch as of the last tick of an unref'd timer, for deadlines counted in seconds on the
// hot path (a pooled connection's lifetime and idle time). Date.now() is a call into V8's runtime (perf:
// Runtime_DateCurrentTime), and the pool took three a transaction: ~0.35 µs of a pass-through transaction's
// ~20 µs of agent CPU. Reading this is reading a variable.
//
// It runs behind the real clock by up to one tick (more while the event loop is blocked). A caller that must not
// act early compares against it with RESOLUTION_MS to spare, and asks Date.now() only near the deadline.

export const COARSE_CLOCK_RESOLUTION_MS = 50;

let now = Date.now();
let timer: NodeJS.Timeout | null = null;

const tick = (): void => {
  now = Date.now();
};

export function coarseNow(): number {
  if (timer === null) {
    now = Date.now();
    timer = setInterval(tick, COARSE_CLOCK_RESOLUTION_MS);
    timer.unref();
  }
  return now;
}
