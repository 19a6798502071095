import { describe, expect, test } from "vitest";
import { isSliceOf, LARGE_READ_BYTES, ReadBuffer, SMALL_READ_BYTES } from "./read-buffer";

// The buffer policy, driven the way Node drives `onread`: callback(nread, buffer) after each read, then buffer()
// for the next one.

function read(reads: ReadBuffer, nread: number): Buffer {
  const buf = reads.onread.buffer();
  buf.fill(1, 0, nread);
  reads.onread.callback(nread, buf);
  return buf;
}

describe("ReadBuffer", () => {
  test("a small pooled buffer is reused while reads fit and nothing keeps them", () => {
    const reads = new ReadBuffer();
    reads.handle(() => false);
    const first = reads.onread.buffer();
    expect(first.length).toBe(SMALL_READ_BYTES);
    for (let i = 0; i < 100; i++) read(reads, 100);
    expect(reads.onread.buffer()).toBe(first);
  });

  test("a read that fills the small buffer moves to a large one; 64 small reads move back", () => {
    const reads = new ReadBuffer();
    reads.handle(() => false);
    read(reads, SMALL_READ_BYTES);
    const large = reads.onread.buffer();
    expect(large.length).toBe(LARGE_READ_BYTES);
    read(reads, 10_000);
    for (let i = 0; i < 63; i++) read(reads, 100);
    expect(reads.onread.buffer()).toBe(large);
    read(reads, 100);
    expect(reads.onread.buffer().length).toBe(SMALL_READ_BYTES);
  });

  test("a large read in a run of small ones restarts the count", () => {
    const reads = new ReadBuffer();
    reads.handle(() => false);
    read(reads, SMALL_READ_BYTES);
    for (let i = 0; i < 60; i++) read(reads, 100);
    read(reads, 5_000);
    for (let i = 0; i < 60; i++) read(reads, 100);
    expect(reads.onread.buffer().length).toBe(LARGE_READ_BYTES);
  });

  test("a chunk the handler keeps is never overwritten: the next read goes to new memory", () => {
    const kept: Buffer[] = [];
    const reads = new ReadBuffer();
    reads.handle((chunk) => {
      kept.push(chunk);
      return true;
    });
    const a = read(reads, 10);
    const b = reads.onread.buffer();
    expect(b).not.toBe(a);
    read(reads, SMALL_READ_BYTES); // fills b: large from now on
    const large = reads.onread.buffer();
    read(reads, 10_000);
    expect(reads.onread.buffer()).not.toBe(large);
    expect(kept.map((k) => k.length)).toEqual([10, SMALL_READ_BYTES, 10_000]);
  });

  test("before a handler is set, chunks reach the socket's 'data' listeners as copies", () => {
    const got: Buffer[] = [];
    const fake = { emit: (_event: string, chunk: Buffer) => got.push(chunk) };
    const reads = new ReadBuffer();
    reads.emitDataOn(fake as never);
    const buf = read(reads, 5);
    buf.fill(9);
    expect([...(got[0] as Buffer)]).toEqual([1, 1, 1, 1, 1]);
  });

  test("isSliceOf tells a chunk's own slices from other slices of the same pool", () => {
    const a = Buffer.allocUnsafe(100);
    const b = Buffer.allocUnsafe(100); // most likely the same pool ArrayBuffer as `a`
    const chunk = a.subarray(0, 60);
    expect(isSliceOf(chunk.subarray(10, 20), chunk)).toBe(true);
    expect(isSliceOf(chunk, chunk)).toBe(true);
    expect(isSliceOf(a.subarray(60), chunk)).toBe(false);
    expect(isSliceOf(b, chunk)).toBe(false);
    expect(isSliceOf(Buffer.from(chunk), chunk)).toBe(false);
  });
});
