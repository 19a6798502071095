import { AgentConfig } from "@dbmesh/mesh";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logger } from "../logger";
import { createHarness, type Caller, type Harness } from "../testing/harness";
import { AgentProtocol } from "./handlers";

let h: Harness;
let dba: Caller;
let protocol: AgentProtocol;
let token: string;
const BACKEND_PASSWORD = "backend-pw-for-agents-only";

const req = (path: string, init: RequestInit & { token?: string } = {}) =>
  new Request(`http://127.0.0.1:3000${path}`, {
    ...init,
    headers: { authorization: `Bearer ${init.token ?? token}`, ...(init.headers as Record<string, string>) },
  });

beforeAll(async () => {
  h = await createHarness();
  dba = await h.as("DBA");
  protocol = new AgentProtocol({ db: h.tdb.db, env: h.env, log: logger });
  await dba.environment.create({ name: "dev" });
  await dba.endpoint.create({ name: "pg-a", environment: "dev", host: "127.0.0.1", port: 5432, database: "postgres", username: "postgres", password: BACKEND_PASSWORD });
  await dba.virtualDatabase.create({ name: "app", environment: "dev", backends: ["pg-a"] });
  token = (await dba.agent.create({ name: "agent-1" })).token;
});
afterAll(async () => {
  await protocol?.stop();
  await h?.close();
});

describe("GET /api/agent/v1/config", () => {
  it("refuses a missing, unknown or revoked token", async () => {
    expect((await protocol.config(req("/api/agent/v1/config", { token: "nope" }))).status).toBe(401);
    const other = await dba.agent.create({ name: "agent-revoked" });
    expect((await protocol.config(req("/api/agent/v1/config?wait=0", { token: other.token }))).status).toBe(200);
    await dba.agent.revoke({ id: other.id });
    // Verified tokens are trusted for a few seconds without a database read; a heartbeat always checks.
    expect((await protocol.heartbeat(req("/api/agent/v1/heartbeat", { method: "POST", token: other.token, body: "{}" }), null)).status).toBe(401);
    expect((await protocol.config(req("/api/agent/v1/config", { token: other.token }))).status).toBe(401);
  });

  it("verifies the tokens of many agents polling at once together, each getting its own answer", async () => {
    const agents = await Promise.all(Array.from({ length: 40 }, (_, i) => dba.agent.create({ name: `agent-crowd-${i}` })));
    const revoked = agents.slice(0, 5);
    for (const a of revoked) await dba.agent.revoke({ id: a.id });
    // All in one event-loop turn, with unknown tokens and one token asked for twice among them.
    const tokens = [...agents.map((a) => a.token), "dbmag_unknown_1", "dbmag_unknown_2", agents[10]!.token];
    const statuses = await Promise.all(tokens.map((t) => protocol.config(req("/api/agent/v1/config?wait=0", { token: t })).then((r) => r.status)));
    expect(statuses).toEqual([...revoked.map(() => 401), ...agents.slice(5).map(() => 200), 401, 401, 200]);
    // Fetches are recorded for the agent each token belongs to.
    await protocol.flushFetches();
    const fetched = await h.tdb.db.agentConfigFetch.groupBy({ by: ["agentId"], where: { agentId: { in: agents.map((a) => a.id) } }, _count: true });
    expect(new Map(fetched.map((f) => [f.agentId, f._count]))).toEqual(new Map(agents.slice(5).map((a, i) => [a.id, i === 5 ? 2 : 1])));
  });

  it("answers a new agent at once with the compiled config, passwords and credentials included", async () => {
    const cred = await dba.credential.create({ name: "app_user", virtualDatabases: ["app"] });
    expect(cred.password).toMatch(/^[\w-]{20,}$/);
    const res = await protocol.config(req("/api/agent/v1/config"));
    expect(res.status).toBe(200);
    const config = AgentConfig.parse(await res.json());
    expect(res.headers.get("etag")).toBe(`"${config.revision}"`);
    expect(config.virtualDatabases.map((v) => v.name)).toEqual(["app"]);
    expect(config.virtualDatabases[0]!.backends[0]).toMatchObject({ name: "pg-a", password: BACKEND_PASSWORD, role: "PRIMARY" });
    expect(config.credentials).toEqual([{ name: "app_user", scramVerifier: expect.stringMatching(/^SCRAM-SHA-256\$4096:/), virtualDatabases: ["app"] }]);
    expect(JSON.stringify(config)).not.toContain(cred.password);
  });

  it("holds an up-to-date agent and answers 304 when nothing changes", async () => {
    const first = await protocol.config(req("/api/agent/v1/config"));
    const etag = first.headers.get("etag")!;
    const t0 = Date.now();
    const res = await protocol.config(req("/api/agent/v1/config?wait=1", { headers: { "if-none-match": etag } }));
    expect(res.status).toBe(304);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(res.headers.get("etag")).toBe(etag);
  });

  it("wakes a held request as soon as the mesh changes", async () => {
    const first = await protocol.config(req("/api/agent/v1/config"));
    const etag = first.headers.get("etag")!;
    const t0 = Date.now();
    const held = protocol.config(req("/api/agent/v1/config?wait=20", { headers: { "if-none-match": etag } }));
    await new Promise((r) => setTimeout(r, 200));
    await dba.virtualDatabase.create({ name: "app-two", environment: "dev", backends: ["pg-a"] });
    const res = await held;
    const waited = Date.now() - t0;
    expect(res.status).toBe(200);
    expect(waited).toBeLessThan(3000);
    const config = AgentConfig.parse(await res.json());
    expect(config.revision).toBeGreaterThan(Number(etag.replace(/"/g, "")));
    expect(config.virtualDatabases.map((v) => v.name)).toEqual(["app", "app-two"]);
  });

  it("records fetches for the console", async () => {
    await protocol.flushFetches();
    const agent = (await dba.agent.list()).agents.find((a) => a.name === "agent-1")!;
    const detail = await dba.agent.get({ id: agent.id });
    expect(detail.fetches.length).toBeGreaterThanOrEqual(3);
    expect(detail.fetches.map((f) => f.status)).toContain(304);
  });
});

describe("POST /api/agent/v1/heartbeat", () => {
  it("stores what the agent reports and answers the current revision", async () => {
    const body = {
      name: "agent-1", version: "0.1.0", address: "127.0.0.1:6432", startedAt: new Date().toISOString(), appliedRevision: 1,
      backends: [{ virtualDatabase: "app", backend: "pg-a", healthy: true, lastError: null, checkedAt: new Date().toISOString() }],
      counters: { clientConnections: 3, queriesPerSecond: 12.5 },
    };
    const res = await protocol.heartbeat(req("/api/agent/v1/heartbeat", { method: "POST", body: JSON.stringify(body) }), "127.0.0.1");
    expect(res.status).toBe(200);
    const { currentRevision } = (await res.json()) as { currentRevision: number };
    const agent = (await dba.agent.list()).agents.find((a) => a.name === "agent-1")!;
    expect(agent).toMatchObject({ status: "up", version: "0.1.0", address: "127.0.0.1:6432", appliedRevision: 1, upToDate: currentRevision <= 1 });
    expect(agent.counters.queriesPerSecond).toBe(12.5);
    const bad = await protocol.heartbeat(req("/api/agent/v1/heartbeat", { method: "POST", body: JSON.stringify({ name: 5 }) }), null);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/name/);
  });
});
