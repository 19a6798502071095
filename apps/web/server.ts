// The console's production server: Next.js for the pages and tRPC, and the agent protocol
// (/api/agent/v1/*) answered straight from node:http. Thousands of agents re-poll the moment the
// mesh changes; going around Next's request pipeline for those keeps propagation under a second
// (bench/config-propagation.ts). `next start` still works: the same handlers are mounted as
// route handlers under src/app/api/agent/v1.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { answerAgentConfig, handleAgentAudit, handleAgentHeartbeat } from "@dbmesh/api/server";

const host = process.env.DBMESH_WEB_HOST ?? "127.0.0.1";
const port = Number(process.env.DBMESH_WEB_PORT ?? process.env.PORT ?? 3000);
/** Heartbeats are small; audit batches carry up to 5,000 statements. */
const MAX_BODY = { heartbeat: 1 << 20, audit: 32 << 20 };

function toRequest(req: IncomingMessage, body: Buffer | undefined, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, joined(value));
  }
  // As Next does: the socket's address goes last in x-forwarded-for.
  const peer = req.socket.remoteAddress;
  if (peer) headers.set("x-forwarded-for", headers.has("x-forwarded-for") ? `${headers.get("x-forwarded-for")}, ${peer}` : peer);
  return new Request(`http://${req.headers.host ?? `${host}:${port}`}${req.url}`, { method: req.method, headers, body: body ? new Uint8Array(body) : undefined, signal });
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A header node:http gives as a list (set-cookie, say) as one value, as fetch's Headers does. */
function joined(value: string | string[]): string {
  return Array.isArray(value) ? value.join(", ") : value;
}

function headerOf(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return value === undefined ? null : joined(value);
}

/** The config long-poll straight from node:http: no fetch Request or Response for the poll thousands of agents make at once. */
async function serveConfig(req: IncomingMessage, res: ServerResponse, url: string, signal: AbortSignal): Promise<void> {
  const query = url.indexOf("?");
  const answer = await answerAgentConfig({
    authorization: headerOf(req, "authorization"),
    ifNoneMatch: headerOf(req, "if-none-match"),
    wait: query === -1 ? null : new URLSearchParams(url.slice(query + 1)).get("wait"),
    signal,
  });
  if (res.destroyed) return;
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body ?? undefined);
}

async function serveAgentProtocol(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const aborter = new AbortController();
  res.on("close", () => aborter.abort());
  let response: Response;
  if (path === "/api/agent/v1/config" && req.method === "GET") {
    return serveConfig(req, res, req.url ?? path, aborter.signal);
  } else if (path === "/api/agent/v1/heartbeat" && req.method === "POST") {
    const body = await readBody(req, MAX_BODY.heartbeat);
    response = body === null ? Response.json({ error: "the body is larger than 1 MiB" }, { status: 413 }) : await handleAgentHeartbeat(toRequest(req, body, aborter.signal));
  } else if (path === "/api/agent/v1/audit" && req.method === "POST") {
    const body = await readBody(req, MAX_BODY.audit);
    response = body === null ? Response.json({ error: "the batch is larger than 32 MiB: send smaller batches" }, { status: 413 }) : await handleAgentAudit(toRequest(req, body, aborter.signal));
  } else {
    response = Response.json({ error: `no such agent protocol call: ${req.method} ${path}` }, { status: 404 });
  }
  if (res.destroyed) return;
  const payload = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(payload);
}

const app = next({ dev: false, dir: dirname(fileURLToPath(import.meta.url)), hostname: host, port });
const handle = app.getRequestHandler();
await app.prepare();

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  const path = url.split("?", 1)[0]!;
  if (path.startsWith("/api/agent/v1/")) {
    serveAgentProtocol(req, res, path).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `agent protocol failed: ${(err as Error).message}` }));
    });
    return;
  }
  void handle(req, res);
});
// Long-polls are held up to 66 s; keep-alive must outlive them.
server.keepAliveTimeout = 75_000;
server.headersTimeout = 80_000;
server.requestTimeout = 0;
server.listen(port, host, () => {
  process.stdout.write(`dbmesh console listening on http://${host}:${port}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 5_000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
