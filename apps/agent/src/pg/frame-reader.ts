// Splits the client → agent byte stream into whole typed messages (1-byte type + int32 length). The agent must
// read every client message whole (Query/Parse/Bind are parsed; the rest are small or CopyData), so this reader
// assembles messages that span chunks, and returns messages that sit inside one chunk as positions in that
// chunk, copying nothing. It is pull-based so that a session can stop mid-chunk (waiting for a server or a
// concurrency slot) and `rewind()` to the message it could not handle yet.

import { isSliceOf } from "../net/read-buffer";

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

const EMPTY = Buffer.alloc(0);

export class FrameReader {
  /** The buffer holding the current message: buf[start, end) is the whole message, header included. */
  buf: Buffer = EMPTY;
  type = 0;
  start = 0;
  end = 0;

  private pos = 0;
  /** Chunks collected for a message known to be larger than what is buffered, concatenated once at the end. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  private needed = 0;

  constructor(private readonly maxMessageBytes: number) {}

  push(chunk: Buffer): void {
    if (this.needed > 0) {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      if (this.buf.length - this.pos + this.partsLength >= this.needed) {
        this.buf = Buffer.concat([this.buf.subarray(this.pos), ...this.parts]);
        this.pos = 0;
        this.parts = [];
        this.partsLength = 0;
        this.needed = 0;
      }
      return;
    }
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
      return;
    }
    // A partial header (or a message the caller stopped before) is left: join it with the new chunk.
    this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  /** Advances to the next complete message. False when more bytes are needed. Throws FrameError on a bad length. */
  next(): boolean {
    if (this.needed > 0) return false;
    const buf = this.buf;
    const pos = this.pos;
    if (buf.length - pos < 5) return false;
    const length = buf.readInt32BE(pos + 1);
    if (length < 4 || length > this.maxMessageBytes) {
      throw new FrameError(
        length < 4
          ? `invalid message length ${length}`
          : `message of ${length} bytes exceeds the agent's limit of ${this.maxMessageBytes} bytes`,
      );
    }
    const total = length + 1;
    if (buf.length - pos < total) {
      this.needed = total;
      return false;
    }
    this.type = buf[pos] as number;
    this.start = pos;
    this.end = pos + total;
    this.pos = pos + total;
    return true;
  }

  /**
   * The caller is about to reuse `chunk`'s memory (a socket's read buffer, net/read-buffer.ts): what is still
   * held from it (a partial message, messages not handled yet, parts of a large message) is copied.
   */
  release(chunk: Buffer): void {
    // Usually the reader holds `chunk` itself (push() took it as is), or nothing: told apart by identity first,
    // since isSliceOf's `.buffer` reads are calls into V8's runtime (~0.1 µs a transaction in perf).
    const buf = this.buf;
    if (buf === chunk || (buf.length > 0 && isSliceOf(buf, chunk))) {
      this.buf = this.pos < buf.length ? Buffer.from(buf.subarray(this.pos)) : EMPTY;
      this.pos = 0;
    }
    // Only the part pushed last can be in `chunk` (the earlier ones were released after their own reads).
    const last = this.parts.length - 1;
    if (last >= 0 && isSliceOf(this.parts[last] as Buffer, chunk)) this.parts[last] = Buffer.from(this.parts[last] as Buffer);
  }

  /** Un-reads the message last returned by next(). */
  rewind(): void {
    this.pos = this.start;
  }

  /** Bytes received and not yet returned by next(). */
  get buffered(): number {
    return this.buf.length - this.pos + this.partsLength;
  }
}
