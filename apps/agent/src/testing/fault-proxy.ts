import { connect, createServer, type Server, type Socket } from "node:net";

// A TCP pass-through in front of PostgreSQL that a test can cut (close every connection and stop listening)
// and restore on the same port: how a backend "dies" and "comes back" without touching the real server.

export class FaultProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost = "127.0.0.1",
    private readonly targetPort = 5432,
  ) {}

  async start(port = 0): Promise<number> {
    this.server = createServer((client) => {
      const upstream = connect({ host: this.targetHost, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(port, "127.0.0.1", () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** Stops listening and resets every connection through it. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.resetAndDestroy();
    if (server !== null) await new Promise<void>((r) => server.close(() => r()));
  }

  async restore(): Promise<void> {
    await this.start(this.port);
  }
}
