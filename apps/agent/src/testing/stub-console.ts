import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { resolveAuditParts } from "@dbmesh/mesh";

// The control plane's side of PROTOCOL.md, as small as it can be: long-polled GET /api/agent/v1/config with
// ETag/If-None-Match and 304, POST /api/agent/v1/heartbeat, POST /api/agent/v1/audit (shared parts resolved,
// stored once per id, or refused with 503 while `auditDown`), bearer-token check. For agent tests and the
// benchmark only; the real one lives in apps/web (packages/api).

export class StubConsole {
  private server: Server | null = null;
  private body: unknown = null;
  private revision: number | null = null;
  private readonly waiting = new Set<() => void>();
  readonly heartbeats: Record<string, unknown>[] = [];
  /** Audit events by id (a resent event is stored once). */
  readonly auditEvents = new Map<string, Record<string, unknown>>();
  auditPosts = 0;
  /** While true, audit batches get 503 (an outage of the control plane). */
  auditDown = false;
  /** Keep the events (false: only count them — the benchmark). */
  keepAuditEvents = true;
  auditEventCount = 0;
  readonly configRequests: { ifNoneMatch: string | null; wait: string | null; authorization: string | null }[] = [];
  port = 0;

  constructor(private readonly token: string) {}

  /** Serves `config` (any JSON: tests also send invalid ones) as revision `revision`, waking long-polls. */
  publish(config: unknown, revision: number): void {
    this.body = config;
    this.revision = revision;
    for (const wake of this.waiting) wake();
  }

  async start(port = 0): Promise<number> {
    // A client that goes away mid-body (an agent stopped while posting) rejects the read: drop that request only.
    this.server = createServer((req, res) => this.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((r) => this.server?.listen(port, "127.0.0.1", () => r()));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const wake of this.waiting) wake();
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: "unknown or revoked agent token" }));
      return;
    }
    if (req.method === "GET" && url.pathname === "/api/agent/v1/config") {
      const ifNoneMatch = req.headers["if-none-match"] ?? null;
      this.configRequests.push({ ifNoneMatch, wait: url.searchParams.get("wait"), authorization: req.headers.authorization ?? null });
      const behind = () => this.revision !== null && ifNoneMatch !== `"${this.revision}"`;
      if (!behind()) {
        const waitMs = Math.min(60, Number(url.searchParams.get("wait") ?? 30)) * 1000;
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.waiting.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, waitMs);
          this.waiting.add(wake);
          req.on("close", wake);
        });
      }
      if (res.destroyed) return;
      if (behind()) {
        res.writeHead(200, { "content-type": "application/json", etag: `"${this.revision}"` }).end(JSON.stringify(this.body));
      } else {
        res.writeHead(304, { etag: `"${this.revision ?? 0}"` }).end();
      }
      return;
    }
    if (req.method === "POST" && url.pathname === "/api/agent/v1/heartbeat") {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      this.heartbeats.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ currentRevision: this.revision }));
      return;
    }
    if (req.method === "POST" && url.pathname === "/api/agent/v1/audit") {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      this.auditPosts++;
      if (this.auditDown) {
        res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: "down for the test" }));
        return;
      }
      const raw = Buffer.concat(chunks);
      if (!this.keepAuditEvents) {
        // The benchmark: count the events without parsing (the stub shares the CPU with what is measured).
        let n = 0;
        for (let i = raw.indexOf('{"id":'); i !== -1; i = raw.indexOf('{"id":', i + 6)) n++;
        this.auditEventCount += n;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted: n, duplicates: 0 }));
        return;
      }
      const body = JSON.parse(raw.toString("utf8")) as { events: unknown[] };
      const resolved = resolveAuditParts(body.events);
      if (!resolved.ok) {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: resolved.error }));
        return;
      }
      let accepted = 0;
      for (const e of resolved.events) {
        this.auditEventCount++;
        if (!this.auditEvents.has(e.id as string)) accepted++;
        this.auditEvents.set(e.id as string, e);
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted, duplicates: resolved.events.length - accepted }));
      return;
    }
    res.writeHead(404).end();
  }
}
