import type { Socket } from "node:net";

// The memory a socket reads into through `onread` (net.connect's option, or adoptAccepted() for clients): one
// buffer, reused from read to read while nothing keeps a reference to the last chunk, replaced by a fresh one
// when something does. Reading this way skips Node's Readable machinery (push, 'data', the nextTick of
// maybeReadMore) and the fresh 64 KiB allocation Node makes for every read: on the proxy's hot path that was
// about a third of the agent's user-space CPU per transaction (bench:proxy, "user" µs/txn).
//
// Whoever handles a chunk owns the rule: copy what must outlive the call, or return true (the next read then
// goes into a new buffer). Until a handler is set, chunks are re-emitted as copied 'data' events, so that the
// promise-based login readers (SetupReader) work unchanged.

/** libuv's own read size. Pages of an unused buffer are never touched, so a mostly idle socket costs little. */
export const READ_BUFFER_BYTES = 64 * 1024;

export type ChunkHandler = (chunk: Buffer) => boolean;

export class ReadBuffer {
  private buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  private handler: ChunkHandler | null = null;
  private socket: Socket | null = null;

  readonly onread = {
    // Called after each read for the buffer of the next one.
    buffer: (): Buffer => this.buffer,
    // Returning false would stop reading: flow control stays with socket.pause()/resume().
    callback: (nread: number, buf: Uint8Array): boolean => {
      const chunk = (buf as Buffer).subarray(0, nread);
      if (this.handler !== null) {
        if (this.handler(chunk)) this.buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
      } else {
        this.socket?.emit("data", Buffer.from(chunk));
      }
      return true;
    },
  };

  /** Until `handle()` is called, chunks reach `socket`'s 'data' listeners as copies. */
  emitDataOn(socket: Socket): void {
    this.socket = socket;
  }

  /** From now on chunks go to `handler` (true: it kept a reference to the chunk). */
  handle(handler: ChunkHandler): void {
    this.handler = handler;
  }
}
