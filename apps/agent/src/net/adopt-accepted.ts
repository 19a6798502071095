import { Socket } from "node:net";
import type { ReadBuffer } from "./read-buffer";

// net.Server has no `onread` option for the sockets it accepts (net.connect has). So a socket accepted paused
// (`pauseOnConnect`), before anything was read, has its handle moved to a new Socket created with `onread`; the
// old wrapper is destroyed without its handle (so it leaves the server's connection count; the agent tracks its
// client sockets itself, ProxyServer.sockets). This
// leans on Node's `_handle` field: when it does not look as expected, null is returned and the caller keeps
// the accepted socket, reading through 'data' events as before.

interface AcceptedInternals {
  _handle?: { readStart?: unknown; readStop?: unknown } | null;
}

export function adoptAccepted(accepted: Socket, reads: ReadBuffer, options: { highWaterMark: number }): Socket | null {
  const internals = accepted as Socket & AcceptedInternals;
  const handle = internals._handle;
  if (handle == null || typeof handle.readStart !== "function" || typeof handle.readStop !== "function" || accepted.bytesRead > 0) {
    return null;
  }
  internals._handle = null;
  accepted.destroy();
  const socket = new Socket({ handle, onread: reads.onread, highWaterMark: options.highWaterMark } as ConstructorParameters<typeof Socket>[0]);
  reads.emitDataOn(socket);
  return socket;
}
