import { describe, expect, test } from "vitest";
import { BackendScanner, type BackendSink } from "./backend-scanner";

function msg(type: string, body: Buffer | string = ""): Buffer {
  const b = typeof body === "string" ? Buffer.from(body) : body;
  const h = Buffer.alloc(5);
  h[0] = type.charCodeAt(0);
  h.writeInt32BE(b.length + 4, 1);
  return Buffer.concat([h, b]);
}

class Recorder implements BackendSink {
  readonly types: string[] = [];
  readonly statuses: string[] = [];
  readonly out: Buffer[] = [];
  maxForward = 0;
  errors: string[] = [];
  constructor(private readonly drop: (type: string) => boolean = () => false) {}
  onMessage(type: number, _length: number, status: number): boolean {
    const t = String.fromCharCode(type);
    this.types.push(t);
    if (t === "Z") this.statuses.push(String.fromCharCode(status));
    return this.drop(t);
  }
  forward(buf: Buffer, start: number, end: number): void {
    this.out.push(Buffer.from(buf.subarray(start, end)));
    this.maxForward = Math.max(this.maxForward, end - start);
  }
  onProtocolError(message: string): void {
    this.errors.push(message);
  }
  get bytes(): Buffer {
    return Buffer.concat(this.out);
  }
}

const rows = Array.from({ length: 5 }, (_, i) => msg("D", Buffer.alloc(100 + i, i)));
const stream = Buffer.concat([msg("1"), msg("2"), msg("T", "desc"), ...rows, msg("C", "SELECT 5\0"), msg("Z", "T"), msg("1"), msg("Z", "I")]);

describe("BackendScanner", () => {
  test("forwards everything as it came, at every split point, and reads ReadyForQuery status", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const scanner = new BackendScanner();
      const sink = new Recorder();
      scanner.scan(stream.subarray(0, cut), sink);
      scanner.scan(stream.subarray(cut), sink);
      expect(sink.bytes.equals(stream)).toBe(true);
      expect(sink.types.join("")).toBe("12TDDDDDCZ1Z");
      expect(sink.statuses).toEqual(["T", "I"]);
      expect(scanner.atBoundary).toBe(true);
    }
  });

  test("drops exactly the messages the sink asks for, at every split point", () => {
    let firstParse = true;
    const expected = Buffer.concat([msg("2"), msg("T", "desc"), ...rows, msg("C", "SELECT 5\0"), msg("Z", "T"), msg("1"), msg("Z", "I")]);
    for (let cut = 0; cut <= stream.length; cut++) {
      firstParse = true;
      const scanner = new BackendScanner();
      const sink = new Recorder((t) => {
        if (t === "1" && firstParse) {
          firstParse = false;
          return true;
        }
        return false;
      });
      scanner.scan(stream.subarray(0, cut), sink);
      scanner.scan(stream.subarray(cut), sink);
      expect(sink.bytes.equals(expected)).toBe(true);
    }
  });

  test("byte by byte", () => {
    const scanner = new BackendScanner();
    const sink = new Recorder();
    for (const b of stream) scanner.scan(Buffer.from([b]), sink);
    expect(sink.bytes.equals(stream)).toBe(true);
    expect(sink.statuses).toEqual(["T", "I"]);
  });

  test("a huge DataRow streams through without being held whole", () => {
    const big = msg("D", Buffer.alloc(10_000_000, 1));
    const scanner = new BackendScanner();
    const sink = new Recorder();
    for (let i = 0; i < big.length; i += 65536) scanner.scan(big.subarray(i, i + 65536), sink);
    expect(sink.bytes.length).toBe(big.length);
    expect(sink.maxForward).toBeLessThanOrEqual(65536);
    expect(scanner.atBoundary).toBe(true);
  });

  test("a length below 4 is a protocol error", () => {
    const scanner = new BackendScanner();
    const sink = new Recorder();
    scanner.scan(Buffer.concat([msg("C", "x\0"), Buffer.from([0x44, 0, 0, 0, 1])]), sink);
    expect(sink.errors[0]).toMatch(/invalid message length 1/);
  });
});
