import { describe, expect, test } from "vitest";
import { FrameError, FrameReader } from "./frame-reader";

function msg(type: string, body: string | Buffer): Buffer {
  const b = typeof body === "string" ? Buffer.from(body) : body;
  const h = Buffer.alloc(5);
  h[0] = type.charCodeAt(0);
  h.writeInt32BE(b.length + 4, 1);
  return Buffer.concat([h, b]);
}

function drain(reader: FrameReader): string[] {
  const out: string[] = [];
  while (reader.next()) out.push(`${String.fromCharCode(reader.type)}:${reader.buf.toString("latin1", reader.start + 5, reader.end)}`);
  return out;
}

const stream = Buffer.concat([msg("Q", "select 1\0"), msg("S", ""), msg("d", "x".repeat(300)), msg("X", "")]);
const expected = ["Q:select 1\0", "S:", `d:${"x".repeat(300)}`, "X:"];

describe("FrameReader", () => {
  test("several messages in one chunk, returned without copying", () => {
    const r = new FrameReader(1 << 20);
    r.push(stream);
    expect(r.next()).toBe(true);
    expect(r.buf).toBe(stream);
    r.rewind();
    expect(drain(r)).toEqual(expected);
  });

  test("every split point, and byte by byte", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = new FrameReader(1 << 20);
      const got: string[] = [];
      r.push(stream.subarray(0, cut));
      got.push(...drain(r));
      r.push(stream.subarray(cut));
      got.push(...drain(r));
      expect(got).toEqual(expected);
    }
    const r = new FrameReader(1 << 20);
    const got: string[] = [];
    for (const byte of stream) {
      r.push(Buffer.from([byte]));
      got.push(...drain(r));
    }
    expect(got).toEqual(expected);
  });

  test("a large message in many chunks is assembled once", () => {
    const big = msg("d", Buffer.alloc(1_000_000, 7));
    const r = new FrameReader(2_000_000);
    for (let i = 0; i < big.length; i += 65536) {
      r.push(big.subarray(i, i + 65536));
      if (i + 65536 < big.length) expect(r.next()).toBe(false);
    }
    expect(r.next()).toBe(true);
    expect(r.end - r.start).toBe(big.length);
    expect(r.buffered).toBe(0);
  });

  test("release copies what is still held, so a reused read buffer can be overwritten", () => {
    // The way a socket reading through `onread` delivers: every chunk in the same memory.
    const big = msg("Q", `${"y".repeat(200_000)}\0`);
    const all = Buffer.concat([stream, big, stream]);
    for (const size of [1, 3, 7, 64, 4096]) {
      const memory = Buffer.allocUnsafeSlow(size);
      const r = new FrameReader(1 << 20);
      const got: string[] = [];
      for (let i = 0; i < all.length; i += size) {
        const n = all.copy(memory, 0, i, i + size);
        r.push(memory.subarray(0, n));
        while (r.next()) got.push(`${String.fromCharCode(r.type)}:${r.buf.toString("latin1", r.start + 5, Math.min(r.end, r.start + 20))}`);
        r.release(memory.subarray(0, n));
        memory.fill(0xee);
      }
      expect(got).toEqual([...expected, `Q:${"y".repeat(15)}`, ...expected].map((e) => e.slice(0, 17)));
    }
  });

  test("rewind returns the same message again", () => {
    const r = new FrameReader(1 << 20);
    r.push(stream);
    r.next();
    r.next();
    r.rewind();
    expect(r.next()).toBe(true);
    expect(String.fromCharCode(r.type)).toBe("S");
  });

  test.each([
    [3, /invalid message length 3/],
    [-1, /invalid message length -1/],
    [2_000_000, /exceeds the agent's limit of 1048576 bytes/],
  ])("length %i is refused before anything is buffered", (length, message) => {
    const r = new FrameReader(1 << 20);
    const h = Buffer.alloc(5);
    h[0] = 0x51;
    h.writeInt32BE(length, 1);
    r.push(h);
    expect(() => r.next()).toThrow(FrameError);
    expect(() => r.next()).toThrow(message);
  });
});
