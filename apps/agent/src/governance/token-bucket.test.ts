import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token-bucket";

describe("TokenBucket", () => {
  it("allows a burst of one second's worth, then the rate", () => {
    const b = new TokenBucket(5, 0);
    for (let i = 0; i < 5; i++) expect(b.tryTake(1, 0)).toBe(true);
    expect(b.tryTake(1, 0)).toBe(false);
    expect(b.tryTake(1, 100)).toBe(false); // 0.5 token
    expect(b.tryTake(1, 200)).toBe(true); // 1 token
    expect(b.tryTake(1, 200)).toBe(false);
  });

  it("never holds more than one second's worth, however long it was idle", () => {
    const b = new TokenBucket(3, 0);
    expect(b.tryTake(3, 60_000)).toBe(true);
    expect(b.tryTake(1, 60_000)).toBe(false);
  });

  it("takes several tokens at once (a multi-statement query) or none", () => {
    const b = new TokenBucket(4, 0);
    expect(b.tryTake(3, 0)).toBe(true);
    expect(b.tryTake(2, 0)).toBe(false);
    expect(b.tryTake(1, 0)).toBe(true);
  });

  it("shrinks to a lower rate at once", () => {
    const b = new TokenBucket(100, 0);
    b.setRate(2);
    expect(b.tryTake(2, 0)).toBe(true);
    expect(b.tryTake(1, 0)).toBe(false);
  });
});
