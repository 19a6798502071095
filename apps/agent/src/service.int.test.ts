import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNativeParser } from "@dbmesh/sql";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LAST_KNOWN_GOOD_FILE } from "./config/last-known-good";
import { parseAgentEnv } from "./env";
import { type AgentService, startAgentService } from "./service";
import { buildConfig } from "./testing/config-builder";
import { createScratchDatabase } from "./testing/postgres";
import { StubConsole } from "./testing/stub-console";
import { connectClient, waitFor } from "./testing/test-agent";

// The agent as a service against a console speaking PROTOCOL.md: long-poll, heartbeats, a bad config ignored,
// the last-known-good config on disk, and a restart that serves from it while the console is unreachable.

const DB = "agent_service_it";
const TOKEN = "dbmag_test_token";
let db: { drop(): Promise<void> };
let stateDir: string;
const log = pino({ level: process.env.AGENT_TEST_LOG ?? "silent" });
const creds = { user: "svc", password: "pw-svc", database: "svc" };

const configAt = (revision: number, poolSize = 5) =>
  buildConfig({
    revision,
    virtualDatabases: [{ name: "svc", backends: [{ name: "pg-main", database: DB }], strategy: { connectionPool: { maxSize: poolSize } } }],
    credentials: [{ name: "svc", password: "pw-svc", virtualDatabases: ["svc"] }],
  });

function envFor(extra: Record<string, string>) {
  return parseAgentEnv({
    DBMESH_AGENT_TOKEN: TOKEN,
    DBMESH_AGENT_NAME: "agent-under-test",
    DBMESH_AGENT_LISTEN: "127.0.0.1:0",
    DBMESH_AGENT_METRICS_LISTEN: "127.0.0.1:0",
    DBMESH_AGENT_STATE_DIR: stateDir,
    DBMESH_AGENT_POLL_WAIT_SECONDS: "2",
    DBMESH_AGENT_SHUTDOWN_TIMEOUT_MS: "1000",
    ...extra,
  });
}

async function query(service: AgentService): Promise<number> {
  const c = await connectClient(service.agent, creds);
  try {
    return (await c.query("select 7 as n")).rows[0].n as number;
  } finally {
    await c.end();
  }
}

async function httpGet(service: AgentService, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${service.agent.metricsAddress?.port}${path}`);
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  db = await createScratchDatabase(DB);
  stateDir = mkdtempSync(join(tmpdir(), "dbmesh-agent-state-"));
});

afterAll(async () => {
  rmSync(stateDir, { recursive: true, force: true });
  await db?.drop();
});

describe("with a console", () => {
  test("long-poll, heartbeats, a bad config ignored, last-known-good written; a restart without the console serves from disk", async () => {
    const console = new StubConsole(TOKEN);
    await console.start();
    console.publish(configAt(1), 1);
    const first = await startAgentService(envFor({ DBMESH_API_URL: console.url }), log);
    try {
      expect((await httpGet(first, "/healthz")).status).toBe(200);
      await waitFor(() => first.agent.runtime.current?.revision === 1, 5_000, "revision 1");
      expect((await httpGet(first, "/readyz")).status).toBe(200);
      expect(await query(first)).toBe(7);
      expect(console.configRequests[0]).toMatchObject({ ifNoneMatch: null, wait: "2", authorization: `Bearer ${TOKEN}` });

      // A mesh change wakes the long-poll at once.
      const published = Date.now();
      console.publish(configAt(2, 9), 2);
      await waitFor(() => first.agent.runtime.current?.revision === 2, 3_000, "revision 2");
      expect(Date.now() - published).toBeLessThan(1_500);
      expect(console.configRequests.some((r) => r.ifNoneMatch === '"1"')).toBe(true);

      // The last-known-good file: revision 2, mode 0600, passwords and all.
      const lkg = join(stateDir, LAST_KNOWN_GOOD_FILE);
      await waitFor(() => {
        try {
          return JSON.parse(readFileSync(lkg, "utf8")).revision === 2;
        } catch {
          return false;
        }
      });
      expect(statSync(lkg).mode & 0o777).toBe(0o600);

      // A heartbeat follows an applied config.
      await waitFor(() => console.heartbeats.some((h) => h.appliedRevision === 2), 3_000, "heartbeat with revision 2");
      const hb = console.heartbeats.find((h) => h.appliedRevision === 2) as Record<string, unknown>;
      expect(hb).toMatchObject({ name: "agent-under-test", version: "0.1.0" });
      expect(hb.backends).toEqual([expect.objectContaining({ virtualDatabase: "svc", backend: "pg-main" })]);
      expect(hb.counters).toMatchObject({ queriesTotal: expect.any(Number), clientConnections: expect.any(Number) });

      // A config that fails the schema is counted and ignored.
      console.publish({ revision: 3, virtualDatabases: "not a list" }, 3);
      await waitFor(async () => /dbmesh_agent_config_errors_total\{reason="invalid"\} [1-9]/.test((await httpGet(first, "/metrics")).text), 5_000, "invalid config counted");
      expect(first.agent.runtime.current?.revision).toBe(2);
      expect(await query(first)).toBe(7);
      expect((await httpGet(first, "/metrics")).text).toMatch(/dbmesh_agent_config_revision 2/);
      // Which parser analyzes statements: the native build wherever it is built (npm test builds it).
      const parser = loadNativeParser().addon === null ? "wasm" : "native";
      expect((await httpGet(first, "/metrics")).text).toContain(`dbmesh_agent_sql_parser{backend="${parser}"} 1`);
    } finally {
      await first.stop();
      await console.stop();
    }

    // Restart with the console gone: serves revision 2 from disk at once.
    const second = await startAgentService(envFor({ DBMESH_API_URL: console.url }), log);
    try {
      expect(second.agent.runtime.current?.revision).toBe(2);
      expect((await httpGet(second, "/readyz")).status).toBe(200);
      expect(await query(second)).toBe(7);
      await waitFor(async () => /dbmesh_agent_config_errors_total\{reason="fetch"\} [1-9]/.test((await httpGet(second, "/metrics")).text), 5_000, "fetch errors counted");
      expect(await query(second)).toBe(7);
    } finally {
      await second.stop();
    }
  });

  test("a refused token (401) is counted; the agent keeps serving what it has", async () => {
    const console = new StubConsole("some-other-token");
    await console.start();
    const service = await startAgentService(envFor({ DBMESH_API_URL: console.url }), log);
    try {
      await waitFor(async () => /dbmesh_agent_config_errors_total\{reason="unauthorized"\} 1/.test((await httpGet(service, "/metrics")).text), 5_000, "401 counted");
      // The state dir still holds revision 2 from the previous test.
      expect(await query(service)).toBe(7);
    } finally {
      await service.stop();
      await console.stop();
    }
  });
});

describe("without a console", () => {
  test("serves DBMESH_AGENT_CONFIG_FILE; a reload applies a newer file and keeps the old one on a bad file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dbmesh-agent-file-"));
    const file = join(dir, "agent-config.json");
    writeFileSync(file, JSON.stringify(configAt(10)));
    const service = await startAgentService(envFor({ DBMESH_AGENT_CONFIG_FILE: file, DBMESH_AGENT_STATE_DIR: dir }), log);
    try {
      expect(service.agent.runtime.current?.revision).toBe(10);
      expect(await query(service)).toBe(7);
      writeFileSync(file, JSON.stringify(configAt(11)));
      await service.reloadConfigFile();
      expect(service.agent.runtime.current?.revision).toBe(11);
      writeFileSync(file, "{ not json");
      await service.reloadConfigFile();
      expect(service.agent.runtime.current?.revision).toBe(11);
      expect(await query(service)).toBe(7);
    } finally {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("before any config, /readyz is 503 and clients get a clear refusal", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dbmesh-agent-none-"));
    const console = new StubConsole(TOKEN);
    await console.start(); // publishes nothing: every poll is a 304
    const service = await startAgentService(envFor({ DBMESH_API_URL: console.url, DBMESH_AGENT_STATE_DIR: dir }), log);
    try {
      expect((await httpGet(service, "/readyz")).status).toBe(503);
      const err = (await connectClient(service.agent, creds).catch((e: unknown) => e)) as { code: string; message: string };
      expect(err.code).toBe("57P03");
      expect(err.message).toMatch(/has not received its configuration yet/);
      console.publish(configAt(1), 1);
      await waitFor(() => service.agent.ready, 5_000, "ready");
      expect((await httpGet(service, "/readyz")).status).toBe(200);
    } finally {
      await service.stop();
      await console.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
