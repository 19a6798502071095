import { expect, test } from "vitest";
import { backoffDelayMs } from "./backoff";

test("1 s doubling to 30 s, jittered within the upper half of each step", () => {
  const low = () => 0;
  const high = () => 1;
  expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelayMs(n, high))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  expect([1, 2, 6].map((n) => backoffDelayMs(n, low))).toEqual([500, 1000, 15000]);
});
