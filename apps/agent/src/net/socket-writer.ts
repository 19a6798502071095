import type { Duplex } from "node:stream";
import { getSystemErrorName } from "node:util";

// The agent writes twice per transaction (the query to the server, the result to the client), and on loopback
// or a healthy network the kernel takes each write whole, at once. socket.write() still pays Writable's
// bookkeeping for it: a new request object with six properties, a process.nextTick for afterWrite, state
// updates. A SocketWriter hands the bytes straight to the socket's libuv handle (what Writable ends up
// calling) with one reused request object; only a write the kernel did not take whole keeps its request and
// gets a completion callback, and the socket then emits 'drain' when every such write is done, as Writable
// would.
//
// Order is kept: libuv queues a write behind any still in flight, whichever path it came from, and a write
// while Writable itself holds bytes goes through Writable. This leans on Node internals (the handle's
// writeBuffer and the stream_wrap binding, as net.Socket uses them): when they are not there, for a TLS socket,
// or with DBMESH_AGENT_DIRECT_WRITES=off (an operator's way out should a Node upgrade change them subtly, and
// the A/B switch for bench:proxy), every write goes through socket.write().

interface WriteReq {
  oncomplete?: (status: number) => void;
  buffer?: Buffer | null;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

interface StreamHandle {
  writeBuffer(req: WriteReq, data: Buffer): number;
}

const binding = loadStreamWrap();

/** Process-wide: DBMESH_AGENT_DIRECT_WRITES=off sends every write through socket.write() (sockets created later). */
let directWrites = true;

export function useDirectWrites(enabled: boolean): void {
  directWrites = enabled;
}

function loadStreamWrap(): StreamWrapBinding | null {
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding("stream_wrap");
    if (typeof b.WriteWrap !== "function" || !(b.streamBaseState instanceof Int32Array) || typeof b.kLastWriteWasAsync !== "number") return null;
    return b as StreamWrapBinding;
  } catch {
    return null;
  }
}

function streamHandleOf(socket: Duplex): StreamHandle | null {
  if ((socket as Duplex & { encrypted?: boolean }).encrypted === true) return null;
  const handle = (socket as Duplex & { _handle?: Partial<StreamHandle> | null })._handle;
  return handle != null && typeof handle.writeBuffer === "function" ? (handle as StreamHandle) : null;
}

export class SocketWriter {
  /** The request object the next write lends to libuv: a write that finishes at once leaves it untouched. */
  private spare: WriteReq | null = null;
  /** Sizes of the direct writes the kernel did not take whole, oldest first (libuv completes them in order). */
  private readonly inFlight: number[] = [];
  /** A direct write returned false: emit 'drain' once nothing is in flight. */
  private owesDrain = false;
  /** The handle written to directly; null: every write goes through socket.write(). */
  private readonly handle: StreamHandle | null;

  constructor(readonly socket: Duplex) {
    this.handle = binding !== null && directWrites ? streamHandleOf(socket) : null;
  }

  /** Whether writes skip Writable (a plain TCP socket, Node internals as expected). */
  get isDirect(): boolean {
    return this.handle !== null;
  }

  /** Writes `data`; false when it is not all in the kernel yet: wait for the socket's 'drain'. */
  write(data: Buffer): boolean {
    const socket = this.socket;
    const handle = this.handle;
    // The handle goes away when the socket is destroyed (`writable` is false by then).
    if (handle === null || socket.writableLength > 0 || !socket.writable) return socket.write(data);
    const b = binding as StreamWrapBinding;
    const req = this.spare ?? new b.WriteWrap();
    const err = handle.writeBuffer(req, data);
    if (err !== 0) {
      this.spare = req;
      socket.destroy(systemError(err));
      return true;
    }
    if (b.streamBaseState[b.kLastWriteWasAsync] === 0) {
      this.spare = req;
      return true;
    }
    this.spare = null;
    req.buffer = data;
    req.oncomplete = this.onComplete;
    this.inFlight.push(data.length);
    this.owesDrain = true;
    return false;
  }

  /** Bytes handed to this socket are still referenced by it (not in the kernel yet). */
  get holdsBytes(): boolean {
    return this.inFlight.length > 0 || this.socket.writableLength > 0;
  }

  /** How many bytes handed to this socket are not in the kernel yet (the direct writes' and Writable's). */
  get bufferedBytes(): number {
    let bytes = this.socket.writableLength;
    for (const n of this.inFlight) bytes += n;
    return bytes;
  }

  private readonly onComplete = (status: number): void => {
    this.inFlight.shift();
    const socket = this.socket;
    if (socket.destroyed) return;
    if (status < 0) {
      socket.destroy(systemError(status));
      return;
    }
    if (this.inFlight.length === 0 && this.owesDrain) {
      this.owesDrain = false;
      socket.emit("drain");
    }
  };
}

function systemError(status: number): NodeJS.ErrnoException {
  let name: string;
  try {
    name = getSystemErrorName(status);
  } catch {
    name = `E${-status}`;
  }
  return Object.assign(new Error(`write ${name}`), { code: name, errno: status, syscall: "write" });
}
