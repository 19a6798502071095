import { randomFillSync } from "node:crypto";

// Audit event ids: UUIDv7 (RFC 9562) — 48 bits of Unix milliseconds, then a 12-bit counter that keeps ids made
// in the same millisecond in order (method 1 of the RFC), then 62 random bits. Time-ordered, so the control
// plane's index on them stays append-mostly, and unique across agents without coordination. Within this
// generator (millisecond, counter) never repeats, so the random bits only have to tell generators apart: they
// are drawn once a second. The hot path takes ids as parts (nextCounter, ms, suffix: see line-writer.ts), so
// that a new millisecond costs a few digits written into bytes it keeps, not a string.

const POOL_BYTES = 4096;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export class EventIdGenerator {
  private readonly pool = Buffer.alloc(POOL_BYTES);
  private offset = POOL_BYTES;
  /** Unix milliseconds of the last id (its first 48 bits). */
  ms = -1;
  private counter = 0;
  /** `-vxxx-xxxxxxxxxxxx`: the variant and 62 random bits, after the counter. */
  suffix = "";
  /** Changes whenever `suffix` does. */
  suffixStamp = 0;
  private suffixSecond = Number.NaN;

  next(now = Date.now()): string {
    const c = this.nextCounter(now);
    const hi = Math.floor(this.ms / 0x10000); // top 32 bits of the 48
    const lo = this.ms & 0xffff;
    const prefix = hex8((hi >>> 24) & 0xff) + hex8((hi >>> 16) & 0xff) + hex8((hi >>> 8) & 0xff) + hex8(hi & 0xff) + "-" + hex8(lo >>> 8) + hex8(lo & 0xff) + "-";
    return prefix + hex8(0x70 | (c >>> 8)) + hex8(c & 0xff) + this.suffix;
  }

  /**
   * The next id as parts, for a caller that writes ids as bytes: the 12 hex digits of `ms` (as 8-4), the
   * version digit 7 and the returned 12-bit counter as three hex digits, then `suffix`.
   */
  nextCounter(now = Date.now()): number {
    let ms = now;
    if (ms <= this.ms) {
      // Same millisecond (or the clock stepped back): count on; a full counter borrows the next millisecond.
      ms = this.ms;
      this.counter++;
      if (this.counter > 0xfff) {
        ms++;
        this.counter = 0;
      }
    } else {
      this.counter = this.randomByte() & 0x3f; // start low, leaving room to count
    }
    if (ms !== this.ms) {
      const second = Math.floor(ms / 1000);
      if (second !== this.suffixSecond) {
        this.suffixSecond = second;
        let r = "-" + hex8(0x80 | (this.randomByte() & 0x3f)) + hex8(this.randomByte()) + "-";
        for (let i = 0; i < 6; i++) r += hex8(this.randomByte());
        this.suffix = r;
        this.suffixStamp++;
      }
      this.ms = ms;
    }
    return this.counter;
  }

  private randomByte(): number {
    if (this.offset >= POOL_BYTES) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    return this.pool[this.offset++] as number;
  }
}

function hex8(n: number): string {
  return HEX[n] as string;
}
