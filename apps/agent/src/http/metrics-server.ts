import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";

// /metrics (Prometheus text), /healthz (the process answers) and /readyz (a config is applied and the agent is
// not shutting down: send it clients).

export interface MetricsServerOptions {
  registry: Registry;
  isReady(): boolean;
  log: Logger;
}

export class MetricsServer {
  private readonly server: Server;

  constructor(private readonly options: MetricsServerOptions) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      if (path === "/metrics") {
        options.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": options.registry.contentType }).end(text),
          (err: unknown) => {
            options.log.error({ err }, "metrics collection failed");
            res.writeHead(500).end();
          },
        );
      } else if (path === "/healthz") {
        res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      } else if (path === "/readyz") {
        const ready = options.isReady();
        res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ready\n" : "not ready\n");
      } else {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics, /healthz or /readyz\n");
      }
    });
    this.server.on("clientError", (_err, socket) => socket.destroy());
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host, port }, () => {
        this.server.off("error", reject);
        this.server.on("error", (err) => this.options.log.error({ err }, "metrics listener error"));
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
