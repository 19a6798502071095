import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { adoptAccepted } from "../net/adopt-accepted";
import { ReadBuffer } from "../net/read-buffer";
import { acceptClient, type HandshakeDeps } from "./client-handshake";

// The PostgreSQL listener. Every accepted socket gets an error handler before anything else can happen, and a
// failure while serving one client is logged and ends that client only.

/** Big enough that corking up to 64 KiB of backend bytes does not look like backpressure. */
const SOCKET_HIGH_WATER_MARK = 256 * 1024;

export class ProxyServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private accepting = true;

  constructor(private readonly deps: HandshakeDeps) {
    // Accepted paused: nothing is read before the socket is re-wrapped to read into its own buffer (adoptAccepted).
    this.server = createServer({ noDelay: true, highWaterMark: SOCKET_HIGH_WATER_MARK, pauseOnConnect: true }, (socket) =>
      this.onConnection(socket),
    );
    this.server.on("error", (err) => deps.log.error({ err }, "listener error"));
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host, port }, () => {
        this.server.off("error", reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get address(): AddressInfo | null {
    return this.server.address() as AddressInfo | null;
  }

  /** Stops accepting; open connections stay. */
  stopAccepting(): void {
    if (!this.accepting) return;
    this.accepting = false;
    this.server.close();
  }

  /** Cuts every client socket, sessions and half-finished logins alike. */
  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private onConnection(accepted: Socket): void {
    if (!this.accepting) {
      accepted.on("error", () => {});
      accepted.destroy();
      return;
    }
    const reads = new ReadBuffer();
    const adopted = adoptAccepted(accepted, reads, { highWaterMark: SOCKET_HIGH_WATER_MARK });
    const socket = adopted ?? accepted;
    socket.on("error", (err) => this.deps.log.debug({ err: err.message, remote: socket.remoteAddress }, "client socket error"));
    if (adopted === null) socket.resume();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    acceptClient(socket, adopted === null ? null : reads, this.deps).catch((err: unknown) => {
      this.deps.log.warn({ err, remote: socket.remoteAddress }, "client connection failed during login");
      socket.destroy();
    });
  }
}
