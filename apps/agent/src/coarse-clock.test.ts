import { describe, expect, it } from "vitest";
import { COARSE_CLOCK_RESOLUTION_MS, coarseNow } from "./coarse-clock";

describe("coarseNow", () => {
  it("is never ahead of the real clock, and follows it tick by tick", async () => {
    const first = coarseNow();
    expect(first).toBeLessThanOrEqual(Date.now());
    const seen = new Set<number>();
    const until = Date.now() + 6 * COARSE_CLOCK_RESOLUTION_MS;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 5));
      const real = Date.now();
      const coarse = coarseNow();
      expect(coarse).toBeLessThanOrEqual(real);
      // A tick behind at most, with room for a timer that fires late on a busy machine.
      expect(real - coarse).toBeLessThan(4 * COARSE_CLOCK_RESOLUTION_MS);
      seen.add(coarse);
    }
    // It moved on while we waited: several ticks, not one value.
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });
});
