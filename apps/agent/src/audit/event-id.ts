import { randomFillSync } from "node:crypto";

// Audit event ids: UUIDv7 (RFC 9562) — 48 bits of Unix milliseconds, then a 12-bit counter that keeps ids made
// in the same millisecond in order (method 1 of the RFC), then 62 random bits. Time-ordered, so the control
// plane's index on them stays append-mostly, and unique across agents without coordination. Random bytes come
// from a pool refilled 4 KiB at a time: one id costs a few string operations, no syscall.

const POOL_BYTES = 4096;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export class EventIdGenerator {
  private readonly pool = Buffer.alloc(POOL_BYTES);
  private offset = POOL_BYTES;
  private lastMs = -1;
  private counter = 0;

  next(now = Date.now()): string {
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
    this.lastMs = ms;
    const hi = Math.floor(ms / 0x10000); // top 32 bits of the 48
    const lo = ms & 0xffff;
    const c = this.counter;
    let s = hex32(hi) + "-" + hex8(lo >>> 8) + hex8(lo & 0xff) + "-" + hex8(0x70 | (c >>> 8)) + hex8(c & 0xff) + "-";
    s += hex8(0x80 | (this.randomByte() & 0x3f)) + hex8(this.randomByte()) + "-";
    for (let i = 0; i < 6; i++) s += hex8(this.randomByte());
    return s;
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
