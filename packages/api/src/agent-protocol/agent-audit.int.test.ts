import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logger } from "../logger";
import { createHarness, type Caller, type Harness } from "../testing/harness";
import { AgentProtocol } from "./handlers";

// The SQL audit trail end to end, with real processes: the agent (apps/agent, spawned as a child process, as in
// production) learns its config from these API handlers, proxies to a real PostgreSQL database, and ships its
// audit events to POST /api/agent/v1/audit, which stores them in sql_audit_event. Checked here: the rows match a
// known workload exactly; no event is lost or duplicated across a kill -9 of the agent under load, nor across a
// 60 s outage of the API; a full spool drops (counted) without slowing queries and raises the heartbeat alarm.

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
// Unique per run: two runs of this file at once (two checkouts' `npm test`) must not drop each other's backend.
const BACKEND_DB = `api_agent_audit_it_${process.pid}_${Date.now().toString(36)}`;

let h: Harness;
let dba: Caller;
let protocol: AgentProtocol;
let api: ApiServer;
let cred: { name: string; password: string };
const agents: AgentProcess[] = [];
const dirs: string[] = [];

async function adminQuery(sql: string, database = "postgres") {
  const c = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The agent protocol handlers over HTTP, as apps/web/server.ts mounts them, with switches for outages. */
class ApiServer {
  private server: Server | null = null;
  port = 0;
  /** Every request is cut without an answer (the API is gone). */
  down = false;
  /** Audit batches get 503 (heartbeats and configs still answer). */
  auditRefused = false;
  readonly heartbeats: { alarms?: { code: string }[]; counters?: Record<string, number> }[] = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    const aborter = new AbortController();
    res.on("close", () => aborter.abort());
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const request = new Request(`${this.url}${req.url}`, { method: req.method, headers, body: body ? new Uint8Array(body) : undefined, signal: aborter.signal });
    const path = new URL(request.url).pathname;
    let response: Response;
    if (path === "/api/agent/v1/config") response = await protocol.config(request);
    else if (path === "/api/agent/v1/heartbeat") {
      if (body) this.heartbeats.push(JSON.parse(body.toString("utf8")));
      response = await protocol.heartbeat(request, req.socket.remoteAddress ?? null);
    } else if (path === "/api/agent/v1/audit") {
      response = this.auditRefused ? Response.json({ error: "refused for the test" }, { status: 503 }) : await protocol.audit(request);
    } else response = Response.json({ error: "no such call" }, { status: 404 });
    if (res.destroyed) return;
    const payload = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(payload);
  }
}

interface AgentProcess {
  proc: ChildProcess;
  port: number;
  metricsPort: number;
  stderr: string[];
}

/** Starts apps/agent as a child process against the API server; resolves once it serves the virtual database. */
async function startAgent(opts: {
  token: string;
  stateDir: string;
  port?: number;
  metricsPort?: number;
  spoolMaxBytes?: number;
  spoolMode?: "mmap" | "write";
}): Promise<AgentProcess> {
  const port = opts.port ?? (await freePort());
  const metricsPort = opts.metricsPort ?? (await freePort());
  const proc = spawn(process.execPath, ["--import", "tsx", "apps/agent/src/main.ts"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      DBMESH_API_URL: api.url,
      DBMESH_AGENT_TOKEN: opts.token,
      DBMESH_AGENT_NAME: `audit-it-${port}`,
      DBMESH_AGENT_LISTEN: `127.0.0.1:${port}`,
      DBMESH_AGENT_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
      DBMESH_AGENT_STATE_DIR: opts.stateDir,
      DBMESH_AGENT_POLL_WAIT_SECONDS: "5",
      DBMESH_AGENT_HEALTH_INTERVAL_MS: "60000",
      ...(opts.spoolMaxBytes ? { DBMESH_AGENT_AUDIT_SPOOL_MAX_BYTES: String(opts.spoolMaxBytes) } : {}),
      ...(opts.spoolMode ? { DBMESH_AGENT_AUDIT_SPOOL: opts.spoolMode } : {}),
      LOG_LEVEL: process.env.AGENT_TEST_LOG ?? "warn",
    },
  });
  const agent: AgentProcess = { proc, port, metricsPort, stderr: [] };
  proc.stderr!.on("data", (d: Buffer) => agent.stderr.push(d.toString()));
  agents.push(agent);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => null))?.status === 200, 30_000, "the agent to be ready");
  return agent;
}

async function waitFor(cond: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function metric(agent: AgentProcess, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? NaN : Number(line.split(" ")[1]);
}

function connect(agent: AgentProcess, database: string): Promise<pg.Client> {
  const c = new pg.Client({ host: "127.0.0.1", port: agent.port, user: cred.name, password: cred.password, database, application_name: "audit-it" });
  c.on("error", () => {});
  return c.connect().then(() => c);
}

async function stopAgent(agent: AgentProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (agent.proc.exitCode !== null || agent.proc.signalCode !== null) return;
  const exited = new Promise((r) => agent.proc.once("exit", r));
  agent.proc.kill(signal);
  await exited;
}

/** Statement texts stored for a virtual database, with how often each is there. */
async function storedStatements(virtualDatabase: string): Promise<Map<string, number>> {
  const rows = await h.tdb.db.$queryRaw<{ statement: string; n: bigint }[]>`
    SELECT statement, count(*) AS n FROM sql_audit_event WHERE virtual_database = ${virtualDatabase} GROUP BY statement`;
  return new Map(rows.map((r) => [r.statement, Number(r.n)]));
}

/**
 * Clients that each run `INSERT INTO load VALUES (<client>, <i>)` and `SELECT <client>, <i>` in turn, counting
 * the statements whose result came back (acknowledged) and those sent without an answer (the connection broke).
 * A broken client reconnects until stopped.
 */
function startLoad(agentOf: () => AgentProcess, database: string, clients: number, tag: number, pauseMs = 0) {
  const acknowledged = new Set<string>();
  const unanswered = new Set<string>();
  let running = true;
  const loops = Array.from({ length: clients }, async (_, k) => {
    let i = 0;
    while (running) {
      let c: pg.Client;
      try {
        c = await connect(agentOf(), database);
      } catch {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      try {
        while (running) {
          i++;
          const sql = i % 2 === 0 ? `INSERT INTO load VALUES (${tag}, ${k}, ${i})` : `SELECT ${tag}, ${k}, ${i}`;
          unanswered.add(sql);
          await c.query(sql);
          unanswered.delete(sql);
          acknowledged.add(sql);
          if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
        }
      } catch {
        // the agent went away mid-statement: that one stays unanswered
      } finally {
        await c.end().catch(() => {});
      }
    }
  });
  return {
    acknowledged,
    unanswered,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

beforeAll(async () => {
  await adminQuery(`DROP DATABASE IF EXISTS ${BACKEND_DB} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${BACKEND_DB}`);
  await adminQuery("CREATE TABLE t (id int PRIMARY KEY, v text); CREATE TABLE load (tag int, client int, i int); CREATE TABLE secrets (k text)", BACKEND_DB);
  h = await createHarness();
  dba = await h.as("DBA");
  protocol = new AgentProtocol({ db: h.tdb.db, env: h.env, log: logger });
  api = new ApiServer();
  await api.start();
  await dba.environment.create({ name: "dev" });
  await dba.endpoint.create({ name: "pg-audit", environment: "dev", host: "127.0.0.1", port: 5432, database: BACKEND_DB, username: "postgres", password: "unused-trust" });
  await dba.trafficStrategy.create({ name: "guarded", circuitBreaks: [{ name: "no-drop", regex: ["^\\s*drop\\b"], statementKinds: [] }] });
  await dba.virtualDatabase.create({ name: "shop", environment: "dev", backends: ["pg-audit"], trafficStrategy: "guarded" });
  await dba.accessRule.create({ name: "app-tables", virtualDatabase: "shop", credential: null, operations: ["all"], tables: ["public.t"], effect: "ALLOW" });
  await dba.accessRule.create({ name: "no-secrets", virtualDatabase: "shop", credential: null, operations: ["all"], tables: ["public.secrets"], effect: "DENY" });
  // Literal values kept: every statement of the load tests is its own text, so each can be found exactly.
  await dba.virtualDatabase.create({ name: "traced", environment: "dev", backends: ["pg-audit"], audit: { mode: "all", keepLiterals: true } });
  cred = await dba.credential.create({ name: "audit_app", virtualDatabases: ["shop", "traced"] });
}, 60_000);

afterAll(async () => {
  for (const a of agents) await stopAgent(a, "SIGKILL").catch(() => {});
  await api?.stop();
  await protocol?.stop();
  await h?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await adminQuery(`DROP DATABASE IF EXISTS ${BACKEND_DB} WITH (FORCE)`).catch(() => {});
});

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), "dbmesh-audit-e2e-"));
  dirs.push(d);
  return d;
}

describe("the agent's SQL audit trail, through the real API", () => {
  it("stores exactly the statements of a known workload, with decisions, rows and SQLSTATEs", async () => {
    const token = (await dba.agent.create({ name: "audit-workload" })).token;
    const agent = await startAgent({ token, stateDir: stateDir() });
    const c = await connect(agent, "shop");
    await c.query("INSERT INTO t VALUES (1, 'alpha'), (2, 'beta'), (3, 'gamma')");
    await c.query("UPDATE t SET v = 'delta' WHERE id > 1");
    await c.query({ text: "SELECT v FROM t WHERE id = $1", values: [1] });
    await c.query({ name: "all-rows", text: "SELECT * FROM t ORDER BY id", values: [] });
    await c.query("BEGIN; DELETE FROM t WHERE id = 3; COMMIT");
    await expect(c.query("DROP TABLE t")).rejects.toMatchObject({ code: "42501" });
    await expect(c.query("SELECT k FROM secrets WHERE k = 'x'")).rejects.toMatchObject({ code: "42501" });
    await expect(c.query("SELECT * FROM missing")).rejects.toMatchObject({ code: "42P01" });
    await expect(c.query("INSERT INTO t VALUES (1, 'dup')")).rejects.toMatchObject({ code: "23505" });
    await c.query("SELECT count(*) FROM t");
    await c.end();

    const expected = [
      { statement: "INSERT INTO t VALUES ($1, $2), ($3, $4), ($5, $6)", kind: "insert", decision: "allowed", rule: "app-tables", rowCount: 3n, sqlstate: null },
      { statement: "UPDATE t SET v = $1 WHERE id > $2", kind: "update", decision: "allowed", rule: "app-tables", rowCount: 2n, sqlstate: null },
      { statement: "SELECT v FROM t WHERE id = $1", kind: "select", decision: "allowed", rule: "app-tables", rowCount: 1n, sqlstate: null },
      { statement: "SELECT * FROM t ORDER BY id", kind: "select", decision: "allowed", rule: "app-tables", rowCount: 3n, sqlstate: null },
      // One Query text, one access decision: its rule goes with each of its statements.
      { statement: "BEGIN", kind: "transaction", decision: "allowed", rule: "app-tables", rowCount: null, sqlstate: null },
      { statement: "DELETE FROM t WHERE id = $1", kind: "delete", decision: "allowed", rule: "app-tables", rowCount: 1n, sqlstate: null },
      { statement: "COMMIT", kind: "transaction", decision: "allowed", rule: "app-tables", rowCount: null, sqlstate: null },
      { statement: "DROP TABLE t", kind: "ddl", decision: "denied", rule: "no-drop", rowCount: null, sqlstate: "42501" },
      { statement: "SELECT k FROM secrets WHERE k = $1", kind: "select", decision: "denied", rule: "no-secrets", rowCount: null, sqlstate: "42501" },
      { statement: "SELECT * FROM missing", kind: "select", decision: "allowed", rule: null, rowCount: null, sqlstate: "42P01" },
      { statement: "INSERT INTO t VALUES ($1, $2)", kind: "insert", decision: "allowed", rule: "app-tables", rowCount: null, sqlstate: "23505" },
      { statement: "SELECT count(*) FROM t", kind: "select", decision: "allowed", rule: "app-tables", rowCount: 1n, sqlstate: null },
    ];
    const rows = async () =>
      h.tdb.db.sqlAuditEvent.findMany({
        where: { agentName: "audit-workload" },
        orderBy: { eventId: "asc" },
        select: { statement: true, kind: true, decision: true, rule: true, rowCount: true, sqlstate: true, credential: true, virtualDatabase: true, backend: true, applicationName: true, clientAddress: true, durationUs: true, fingerprint: true, tables: true },
      });
    await waitFor(async () => (await rows()).length >= expected.length, 15_000, "the workload's audit rows");
    await new Promise((r) => setTimeout(r, 500)); // nothing more may arrive
    const stored = await rows();
    expect(stored.map(({ statement, kind, decision, rule, rowCount, sqlstate }) => ({ statement, kind, decision, rule, rowCount, sqlstate }))).toEqual(expected);
    for (const r of stored) {
      // A refusal never reached a backend: no backend, no duration.
      const ran = r.decision === "allowed";
      expect(r).toMatchObject({ credential: "audit_app", virtualDatabase: "shop", backend: ran ? "pg-audit" : null, applicationName: "audit-it" });
      expect(r.clientAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(r.durationUs === null).toBe(!ran);
    }
    // Tables carry the schemas the access decision resolved; a circuit break refuses before any access decision,
    // so the DROP keeps its tables as written (and never the previous statement's).
    const tablesOf = (statement: string) => stored.find((r) => r.statement === statement)?.tables;
    expect(stored[0]!.tables).toEqual([{ schema: "public", name: "t", operation: "insert" }]);
    expect(tablesOf("DELETE FROM t WHERE id = $1")).toEqual([{ schema: "public", name: "t", operation: "delete" }]);
    expect(tablesOf("DROP TABLE t")).toEqual([{ schema: null, name: "t", operation: "ddl" }]);
    expect(tablesOf("SELECT k FROM secrets WHERE k = $1")).toEqual([{ schema: "public", name: "secrets", operation: "select" }]);
    expect(stored[1]!.fingerprint).not.toBe(stored[2]!.fingerprint);
    await stopAgent(agent);
  });

  // Both ways events reach the spool: copied into a mapped segment (the default where the addon is built), and
  // write(2) with each result held until its event is written.
  it.each(["mmap", "write"] as const)("loses no event and stores none twice across a kill -9 of the agent under load (spool: %s)", async (spoolMode) => {
    const token = (await dba.agent.create({ name: `audit-kill-${spoolMode}` })).token;
    const dir = stateDir();
    let agent = await startAgent({ token, stateDir: dir, spoolMode });
    const tag = spoolMode === "mmap" ? 1 : 3; // the outage test's is 2
    const load = startLoad(() => agent, "traced", 4, tag);
    await waitFor(() => load.acknowledged.size >= 1500, 30_000, "load before the kill");
    await stopAgent(agent, "SIGKILL");
    const atKill = load.acknowledged.size;
    agent = await startAgent({ token, stateDir: dir, port: agent.port, metricsPort: agent.metricsPort, spoolMode });
    await waitFor(() => load.acknowledged.size >= atKill + 500, 30_000, "load after the restart");
    await load.stop();
    await waitFor(async () => (await metric(agent, "dbmesh_agent_audit_spool_bytes")) === 0, 30_000, "the spool to drain");
    const stored = await storedStatements("traced");
    const mine = [...stored].filter(([s]) => s.includes(`SELECT ${tag},`) || s.includes(`VALUES (${tag},`));
    const missing = [...load.acknowledged].filter((s) => !stored.has(s));
    const duplicated = mine.filter(([, n]) => n > 1);
    const strays = mine.map(([s]) => s).filter((s) => !load.acknowledged.has(s) && !load.unanswered.has(s));
    process.stdout.write(`[audit kill -9, ${spoolMode}] acknowledged ${load.acknowledged.size} (${atKill} before the kill), unanswered ${load.unanswered.size}, stored ${mine.length} of them\n`);
    expect(missing).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(strays).toEqual([]);
    expect(await metric(agent, "dbmesh_agent_audit_events_total", '{outcome="dropped"}')).toBe(0);
    await stopAgent(agent);
  }, 120_000);

  it("loses no event and stores none twice across a 60 s outage of the API under load", async () => {
    const token = (await dba.agent.create({ name: "audit-outage" })).token;
    const agent = await startAgent({ token, stateDir: stateDir() });
    const load = startLoad(() => agent, "traced", 4, 2, 5);
    await waitFor(() => load.acknowledged.size >= 200, 30_000, "load before the outage");
    api.down = true;
    const outageStart = Date.now();
    const before = load.acknowledged.size;
    await new Promise((r) => setTimeout(r, 60_000));
    const duringOutage = load.acknowledged.size - before;
    const spooled = await metric(agent, "dbmesh_agent_audit_spool_bytes");
    api.down = false;
    process.stdout.write(`[audit outage] ${Math.round((Date.now() - outageStart) / 1000)} s down, ${duringOutage} statements answered meanwhile, spool ${spooled} bytes\n`);
    await load.stop();
    expect(duringOutage).toBeGreaterThan(1000); // the agent kept serving
    expect(spooled).toBeGreaterThan(0);
    await waitFor(async () => (await metric(agent, "dbmesh_agent_audit_spool_bytes")) === 0, 60_000, "the spool to drain");
    const stored = await storedStatements("traced");
    const mine = [...stored].filter(([s]) => s.includes("SELECT 2,") || s.includes("VALUES (2,"));
    expect([...load.acknowledged].filter((s) => !stored.has(s))).toEqual([]);
    expect(mine.filter(([, n]) => n > 1)).toEqual([]);
    expect(mine.length).toBe(load.acknowledged.size);
    expect(await metric(agent, "dbmesh_agent_audit_events_total", '{outcome="dropped"}')).toBe(0);
    await stopAgent(agent);
  }, 180_000);

  it("with a full spool queries still run, drops are counted in /metrics and the heartbeat raises an alarm", async () => {
    const created = await dba.agent.create({ name: "audit-full" });
    api.auditRefused = true;
    const agent = await startAgent({ token: created.token, stateDir: stateDir(), spoolMaxBytes: 64 * 1024 });
    try {
      const c = await connect(agent, "shop");
      const t0 = performance.now();
      for (let i = 0; i < 2000; i++) await c.query(`SELECT ${i}`);
      const ms = performance.now() - t0;
      await c.end();
      const dropped = await metric(agent, "dbmesh_agent_audit_events_total", '{outcome="dropped"}');
      const spooled = await metric(agent, "dbmesh_agent_audit_events_total", '{outcome="spooled"}');
      process.stdout.write(`[audit spool full] 2000 statements in ${Math.round(ms)} ms, ${spooled} spooled, ${dropped} dropped\n`);
      expect(dropped).toBeGreaterThan(1000);
      expect(spooled + dropped).toBe(2000);
      expect(await metric(agent, "dbmesh_agent_audit_spool_bytes")).toBeLessThanOrEqual(64 * 1024);
      // The alarm travels with the next heartbeat (sent at once when dropping starts) and shows on the agent.
      await waitFor(async () => ((await dba.agent.get({ id: created.id })).agent.alarms ?? []).length > 0, 15_000, "the alarm on the agent");
      const { agent: seen } = await dba.agent.get({ id: created.id });
      expect(seen.alarms).toEqual([{ code: "audit_dropping", message: expect.stringMatching(/dropped/), since: expect.any(String) }]);
      expect(seen.counters.auditDropped).toBeGreaterThan(0);
      // Once the API takes batches again the spool drains.
      api.auditRefused = false;
      await waitFor(async () => (await metric(agent, "dbmesh_agent_audit_spool_bytes")) === 0, 30_000, "the spool to drain");
    } finally {
      api.auditRefused = false;
      await stopAgent(agent);
    }
  }, 90_000);
});
