import { Backend } from "./protocol";

// Walks the backend → client byte stream by message headers only: a DataRow is never decoded nor even held
// whole; its bytes are forwarded as they arrive and only the 5-byte headers are read. The sink sees each
// message's type (and ReadyForQuery's status byte) and may drop the short acknowledgements the agent caused
// itself (ParseComplete, BindComplete, CloseComplete of statements it re-prepared). To drop or read them
// reliably, a partial header, or a ReadyForQuery missing its status byte, is held back until the next chunk.
// CommandComplete and ErrorResponse (small: a tag, an error's fields) are held back until whole as well, so
// that the SQL audit can read a statement's row count and SQLSTATE from `buf` at `pos`.

export interface BackendSink {
  /**
   * Called at each message header. `status` is ReadyForQuery's status byte (0 for other types). The message
   * starts at buf[pos]; CommandComplete and ErrorResponse up to WHOLE_MESSAGE_LIMIT bytes are there whole.
   * True drops it.
   */
  onMessage(type: number, length: number, status: number, buf: Buffer, pos: number): boolean;
  /** Forward buf[start, end) to the client. */
  forward(buf: Buffer, start: number, end: number): void;
  /** The backend sent a length below 4: the stream cannot be followed any more. */
  onProtocolError(message: string): void;
}

/** CommandComplete/ErrorResponse messages up to this size reach the sink whole. */
export const WHOLE_MESSAGE_LIMIT = 64 * 1024;

export class BackendScanner {
  private carry: Buffer | null = null;
  /** Bytes of the current message body still to come in later chunks. */
  private remaining = 0;

  /** True when the stream sits exactly at a message boundary (nothing held, nothing pending). */
  get atBoundary(): boolean {
    return this.carry === null && this.remaining === 0;
  }

  reset(): void {
    this.carry = null;
    this.remaining = 0;
  }

  scan(chunk: Buffer, sink: BackendSink): void {
    let buf = chunk;
    if (this.carry !== null) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    const n = buf.length;
    let pos = 0;
    if (this.remaining > 0) {
      if (this.remaining >= n) {
        this.remaining -= n;
        sink.forward(buf, 0, n);
        return;
      }
      pos = this.remaining;
      this.remaining = 0;
    }
    let fwdStart = 0;
    while (pos < n) {
      const avail = n - pos;
      if (avail < 5) break;
      const type = buf[pos] as number;
      if (type === Backend.ReadyForQuery && avail < 6) break;
      const length = buf.readInt32BE(pos + 1);
      if (length < 4) {
        if (pos > fwdStart) sink.forward(buf, fwdStart, pos);
        sink.onProtocolError(`backend sent an invalid message length ${length} (type 0x${type.toString(16)})`);
        return;
      }
      const total = length + 1;
      if (total > avail && total <= WHOLE_MESSAGE_LIMIT && (type === Backend.CommandComplete || type === Backend.ErrorResponse)) break;
      const drop = sink.onMessage(type, length, type === Backend.ReadyForQuery ? (buf[pos + 5] as number) : 0, buf, pos);
      if (drop) {
        // Only complete short messages are ever dropped (their 5 bytes are here).
        if (pos > fwdStart) sink.forward(buf, fwdStart, pos);
        fwdStart = pos + total;
      }
      if (total > avail) {
        this.remaining = total - avail;
        pos = n;
        break;
      }
      pos += total;
    }
    if (pos < n) this.carry = Buffer.from(buf.subarray(pos));
    if (pos > fwdStart) sink.forward(buf, fwdStart, pos);
  }
}
