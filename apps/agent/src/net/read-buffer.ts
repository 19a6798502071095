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

/**
 * A socket starts with a small buffer cut from Node's shared pool, so idle sockets share memory pages (a private
 * buffer costs at least the page its first read touched: 4 KiB per idle client). A read that fills it moves the
 * socket to a large buffer of its own (libuv's read size); a run of small reads moves it back.
 */
export const SMALL_READ_BYTES = 512;
export const LARGE_READ_BYTES = 64 * 1024;
const SHRINK_AFTER_SMALL_READS = 64;

export type ChunkHandler = (chunk: Buffer) => boolean;

/** True when `piece` lies in `chunk`'s memory (a small read buffer shares its ArrayBuffer with Node's pool). */
export function isSliceOf(piece: Buffer, chunk: Buffer): boolean {
  return piece.buffer === chunk.buffer && piece.byteOffset >= chunk.byteOffset && piece.byteOffset < chunk.byteOffset + chunk.length;
}

export class ReadBuffer {
  private buffer = Buffer.allocUnsafe(SMALL_READ_BYTES);
  private handler: ChunkHandler | null = null;
  private socket: Socket | null = null;
  /** Consecutive reads that a small buffer would have held, while the large one is in use. */
  private smallReads = 0;

  readonly onread = {
    // Called after each read for the buffer of the next one.
    buffer: (): Buffer => this.buffer,
    // Returning false would stop reading: flow control stays with socket.pause()/resume().
    callback: (nread: number, buf: Uint8Array): boolean => {
      const chunk = (buf as Buffer).subarray(0, nread);
      let kept = false;
      if (this.handler !== null) kept = this.handler(chunk);
      else this.socket?.emit("data", Buffer.from(chunk));
      const size = this.buffer.length;
      if (size === SMALL_READ_BYTES) {
        if (nread === size) this.buffer = Buffer.allocUnsafeSlow(LARGE_READ_BYTES);
        else if (kept) this.buffer = Buffer.allocUnsafe(SMALL_READ_BYTES);
      } else if (nread <= SMALL_READ_BYTES && ++this.smallReads >= SHRINK_AFTER_SMALL_READS) {
        this.smallReads = 0;
        this.buffer = Buffer.allocUnsafe(SMALL_READ_BYTES);
      } else {
        if (nread > SMALL_READ_BYTES) this.smallReads = 0;
        if (kept) this.buffer = Buffer.allocUnsafeSlow(LARGE_READ_BYTES);
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
