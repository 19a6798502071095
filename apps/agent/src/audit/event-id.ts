import { randomFillSync } from "node:crypto";

// Audit event ids: UUIDv7 (RFC 9562) — 48 bits of Unix milliseconds, then a 12-bit counter that keeps ids made
// in the same millisecond in order (method 1 of the RFC), then 62 random bits. Time-ordered, so the control
// plane's index on them stays append-mostly, and unique across agents without coordination. Within this
// generator (millisecond, counter) never repeats, so the random bits only have to tell generators apart: they
// are drawn once per millisecond, and an id costs a few string concatenations.

const POOL_BYTES = 4096;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export class EventIdGenerator {
  private readonly pool = Buffer.alloc(POOL_BYTES);
  private offset = POOL_BYTES;
  private lastMs = -1;
  private counter = 0;
  /** `xxxxxxxx-xxxx-` of lastMs. */
  private msPrefix = "";
  /** `-vxxx-xxxxxxxxxxxx` (variant and 62 random bits), drawn when the millisecond changes. */
  private randomSuffix = "";

  /** Changes whenever prefix or suffix do (at most once per millisecond). */
  stamp = 0;

  next(now = Date.now()): string {
    const c = this.nextCounter(now);
    return this.msPrefix + hex8(0x70 | (c >>> 8)) + hex8(c & 0xff) + this.randomSuffix;
  }

  /**
   * The next id as its parts, for a caller that writes ids as bytes: the id is `prefix`, then the version digit 7
   * and the returned 12-bit counter as three hex digits, then `suffix`.
   */
  nextCounter(now = Date.now()): number {
    let ms = now;
    if (ms <= this.lastMs) {
      // Same millisecond (or the clock stepped back): count on; a full counter borrows the next millisecond.
      ms = this.lastMs;
      this.counter++;
      if (this.counter > 0xfff) {
        ms++;
        this.counter = 0;
      }
    } else {
      this.counter = this.randomByte() & 0x3f; // start low, leaving room to count
    }
    if (ms !== this.lastMs || this.msPrefix === "") {
      const hi = Math.floor(ms / 0x10000); // top 32 bits of the 48
      const lo = ms & 0xffff;
      this.msPrefix = hex32(hi) + "-" + hex8(lo >>> 8) + hex8(lo & 0xff) + "-";
      let r = "-" + hex8(0x80 | (this.randomByte() & 0x3f)) + hex8(this.randomByte()) + "-";
      for (let i = 0; i < 6; i++) r += hex8(this.randomByte());
      this.randomSuffix = r;
      this.stamp++;
    }
    this.lastMs = ms;
    return this.counter;
  }

  /** `xxxxxxxx-xxxx-`: the id up to its version digit. */
  get prefix(): string {
    return this.msPrefix;
  }

  /** `-vxxx-xxxxxxxxxxxx`: the id after its counter. */
  get suffix(): string {
    return this.randomSuffix;
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

function hex32(n: number): string {
  return hex8((n >>> 24) & 0xff) + hex8((n >>> 16) & 0xff) + hex8((n >>> 8) & 0xff) + hex8(n & 0xff);
}
