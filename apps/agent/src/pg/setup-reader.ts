import type { Duplex } from "node:stream";
import { FrameError } from "./frame-reader";

// Promise-based reading for the connection setup phases only (client startup and auth, backend connect and
// auth), where a few messages are exchanged once per connection and awaiting each is fine. Once a connection
// is established the caller detaches this reader, takes the leftover bytes, and frames the socket itself.

export class SetupReader {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer) => {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.wake();
  };
  private readonly onEnd = () => this.fail(new Error("the connection was closed during setup"));
  private readonly onError = (err: Error) => this.fail(err);

  constructor(
    private readonly socket: Duplex,
    private readonly maxMessageBytes: number,
  ) {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
    socket.on("error", this.onError);
  }

  /** An untyped packet (startup phase): int32 length then body. Returns the body. */
  async readUntyped(): Promise<Buffer> {
    await this.need(4);
    const length = this.buf.readInt32BE(0);
    if (length < 8 || length > this.maxMessageBytes) throw new FrameError(`invalid startup packet length ${length}`);
    await this.need(length);
    const body = this.buf.subarray(4, length);
    this.buf = this.buf.subarray(length);
    return body;
  }

  /** A typed message: returns its type and body (header excluded). */
  async readTyped(): Promise<{ type: number; body: Buffer }> {
    await this.need(5);
    const length = this.buf.readInt32BE(1);
    if (length < 4 || length > this.maxMessageBytes) throw new FrameError(`invalid message length ${length}`);
    await this.need(length + 1);
    const type = this.buf[0] as number;
    const body = this.buf.subarray(5, length + 1);
    this.buf = this.buf.subarray(length + 1);
    return { type, body };
  }

  /** Bytes received but not read yet. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Stops listening; returns bytes received past the last message read. */
  detach(): Buffer {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onEnd);
    this.socket.off("error", this.onError);
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }

  /** Fails a pending read (e.g. on a timeout). */
  fail(err: Error): void {
    if (this.failure === null) this.failure = err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private async need(bytes: number): Promise<void> {
    while (this.buf.length < bytes) {
      if (this.failure !== null) throw this.failure;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}
