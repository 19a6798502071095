import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { AgentProtocol } from "../agent-protocol/handlers";

// Test helpers for self-service: the agent protocol on a real HTTP port, and the real agent and worker
// started as their own processes (apps may not be imported by packages; as processes they are the real thing).

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Serves /api/agent/v1/* from an AgentProtocol, as apps/web does. */
export async function serveAgentProtocol(protocol: AgentProtocol): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const request = new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body: req.method === "POST" ? Buffer.concat(chunks) : undefined });
      const path = (req.url ?? "").split("?")[0];
      const response =
        path === "/api/agent/v1/config"
          ? await protocol.config(request)
          : path === "/api/agent/v1/heartbeat"
            ? await protocol.heartbeat(request, "127.0.0.1")
            : path === "/api/agent/v1/audit"
              ? await protocol.audit(request)
              : new Response("not found", { status: 404 });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it exited. */
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once("exit", () => r()));
}

export function startProcess(script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (b: Buffer) => {
    out = (out + b.toString("utf8")).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    child,
    output: () => out,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited(child);
      clearTimeout(timer);
    },
    async kill9() {
      child.kill("SIGKILL");
      await exited(child);
    },
  };
}

export function startAgent(opts: { apiUrl: string; token: string; port: number }): Proc & { cleanup(): void } {
  const stateDir = mkdtempSync(join(tmpdir(), "dbmesh-sst-agent-"));
  const proc = startProcess("apps/agent/src/main.ts", {
    DBMESH_API_URL: opts.apiUrl,
    DBMESH_AGENT_TOKEN: opts.token,
    DBMESH_AGENT_NAME: "self-service-test",
    DBMESH_AGENT_LISTEN: `127.0.0.1:${opts.port}`,
    DBMESH_AGENT_METRICS_LISTEN: "off",
    DBMESH_AGENT_STATE_DIR: stateDir,
    LOG_LEVEL: process.env.SST_LOG ?? "warn",
  });
  return { ...proc, cleanup: () => rmSync(stateDir, { recursive: true, force: true }) };
}

export function startWorker(env: { DATABASE_URL: string; REDIS_URL: string; DBMESH_QUEUE_PREFIX: string; DBMESH_SECRET_KEY: string } & Record<string, string>): Proc {
  return startProcess("apps/worker/src/main.ts", { LOG_LEVEL: process.env.SST_LOG ?? "warn", ...env });
}

export async function waitUntil<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A client through the agent; rejects with the server's error (code, message) when refused. */
export async function connectThroughAgent(port: number, user: string, password: string, database: string): Promise<pg.Client> {
  const c = new pg.Client({ host: "127.0.0.1", port, user, password, database, connectionTimeoutMillis: 5_000 });
  c.on("error", () => {});
  try {
    await c.connect();
  } catch (err) {
    await c.end().catch(() => {});
    throw err;
  }
  return c;
}

/** Drops databases and roles a test run made (all named with its prefix), on the local server. */
export async function dropPrefixed(prefix: string): Promise<void> {
  const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await admin.connect();
  try {
    const dbs = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${prefix}%`]);
    for (const d of dbs.rows) await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(d.datname)} WITH (FORCE)`);
    const roles = await admin.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", [`${prefix}%`]);
    for (const r of roles.rows) await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(r.rolname)}`);
  } finally {
    await admin.end();
  }
}
