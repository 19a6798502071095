// The Node floor for bench:proxy: the least any proxy written on Node's event loop can cost per transaction.
//
// Each client gets its own server connection, and bytes are copied across unread: no protocol decoding, no
// pooling, no routing, no governance. It does its socket I/O through the agent's own primitives (reads into a
// reused buffer through `onread`, writes straight to the libuv handle), so what separates the agent from this
// floor is the agent's own work per message, and what separates this floor from PgBouncer is Node and V8.
//
// Usage (bench:proxy starts it): node --import tsx bench/node-floor-proxy.ts <listen port> <postgres port>

import { connect, createServer, type Socket } from "node:net";
import { adoptAccepted } from "../apps/agent/src/net/adopt-accepted";
import { ReadBuffer } from "../apps/agent/src/net/read-buffer";
import { SocketWriter } from "../apps/agent/src/net/socket-writer";

const [listenPort, pgPort] = process.argv.slice(2).map(Number);
if (!Number.isInteger(listenPort) || !Number.isInteger(pgPort)) {
  console.error("usage: node-floor-proxy.ts <listen port> <postgres port>");
  process.exit(2);
}

/** Copies one direction; pauses the source while the destination has bytes it could not take at once. */
function pipe(reads: ReadBuffer, from: Socket, to: SocketWriter): void {
  reads.handle((chunk) => {
    if (to.write(chunk)) return false;
    from.pause();
    to.socket.once("drain", () => from.resume());
    // The unfinished write still points into the read buffer: the next read goes into a fresh one.
    return true;
  });
}

const server = createServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
  const clientReads = new ReadBuffer();
  const client = adoptAccepted(accepted, clientReads, { highWaterMark: 256 * 1024 });
  if (client === null) throw new Error("could not adopt an accepted socket (Node internals changed?)");
  const serverReads = new ReadBuffer();
  const upstream = connect({ host: "127.0.0.1", port: pgPort as number, noDelay: true, onread: serverReads.onread });
  client.setNoDelay(true);
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
  // Until the server connection is up, what the client sends is kept (copied) and sent on connect.
  const early: Buffer[] = [];
  clientReads.handle((chunk) => {
    early.push(Buffer.from(chunk));
    return false;
  });
  upstream.once("connect", () => {
    const toServer = new SocketWriter(upstream);
    for (const b of early) toServer.write(b);
    pipe(clientReads, client, toServer);
    pipe(serverReads, upstream, new SocketWriter(client));
  });
  client.resume();
});

server.listen(listenPort, "127.0.0.1", () => console.error(`[floor] listening on 127.0.0.1:${listenPort}`));
process.on("SIGTERM", () => process.exit(0));
