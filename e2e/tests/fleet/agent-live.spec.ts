import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { trpcMutation, trpcQuery, uniq } from "../../fixtures/api";
import { REPO_ROOT } from "../../fixtures/test-env";

// The whole loop with real processes: a DBA changes the mesh through the console's API, and an
// agent (apps/agent, started here against the console under test) enforces it on the wire.

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

type Strategy = { id: string; name: string; circuitBreaks: { name: string; regex: string[]; statementKinds: string[] }[] } & Record<string, unknown>;

test("a mesh change made through the API reaches a running agent and changes what it lets through within 2 s", async ({ request, baseURL }) => {
  test.setTimeout(90_000);
  const suffix = uniq();
  const agent = await trpcMutation<{ token: string }>(request, "agent.create", { name: `live-${suffix}` });
  const cred = await trpcMutation<{ name: string; password: string }>(request, "credential.create", {
    name: `live_${suffix.replace(/[^a-z0-9]/g, "")}`,
    virtualDatabases: ["demo"],
  });
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), "dbmesh-e2e-agent-"));
  let proc: ChildProcess | undefined;
  let client: pg.Client | undefined;
  const strategies = await trpcQuery<Strategy[]>(request, "trafficStrategy.list");
  const original = strategies.find((s) => s.name === "shop-default")!;
  const { id, usedBy: _u, createdAt: _c, updatedAt: _d, ...spec } = original;
  try {
    proc = spawn(process.execPath, ["--import", "tsx", "apps/agent/src/main.ts"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        DBMESH_API_URL: baseURL,
        DBMESH_AGENT_TOKEN: agent.token,
        DBMESH_AGENT_NAME: `live-${suffix}`,
        DBMESH_AGENT_LISTEN: `127.0.0.1:${port}`,
        DBMESH_AGENT_METRICS_LISTEN: "off",
        DBMESH_AGENT_STATE_DIR: stateDir,
        LOG_LEVEL: "warn",
      },
    });
    // The agent is ready once the console has handed it a config with our credential in it.
    await expect
      .poll(
        async () => {
          const c = new pg.Client({ host: "127.0.0.1", port, user: cred.name, password: cred.password, database: "demo" });
          try {
            await c.connect();
            client = c;
            return true;
          } catch {
            await c.end().catch(() => {});
            return false;
          }
        },
        { timeout: 30_000, intervals: [250] },
      )
      .toBe(true);
    const { rows } = await client!.query("SELECT count(*)::int AS n FROM customers");
    expect(rows[0].n).toBeGreaterThan(0);
    await expect(client!.query("SELECT 4242 AS marker")).resolves.toBeTruthy();

    // The change: a circuit break on that exact statement, saved through the API. Its regex reads the normalized
    // text, where the literal 4242 is a placeholder: `select $1 as marker`.
    const changedAt = Date.now();
    await trpcMutation(request, "trafficStrategy.update", {
      id,
      data: { ...spec, circuitBreaks: [...original.circuitBreaks, { name: `e2e-${suffix}`, regex: ["^select \\$\\d+ as marker$"], statementKinds: [], tables: [], operations: [] }] },
    });
    // New sessions get the new config; open ones finish on the one they started with.
    let refusedAfter = Infinity;
    await expect
      .poll(
        async () => {
          const fresh = new pg.Client({ host: "127.0.0.1", port, user: cred.name, password: cred.password, database: "demo" });
          await fresh.connect();
          try {
            await fresh.query("SELECT 4242 AS marker");
            return "allowed";
          } catch (err) {
            refusedAfter = Date.now() - changedAt;
            // The refused session is still usable.
            expect((await fresh.query("SELECT 1 AS ok")).rows[0].ok).toBe(1);
            return (err as { code?: string }).code;
          } finally {
            await fresh.end();
          }
        },
        { timeout: 5_000, intervals: [50] },
      )
      .toBe("42501");
    expect(refusedAfter).toBeLessThan(2_000);
    // The session opened before the change keeps the config it started with.
    await expect(client!.query("SELECT 4242 AS marker")).resolves.toBeTruthy();
  } finally {
    await client?.end().catch(() => {});
    proc?.kill("SIGTERM");
    await trpcMutation(request, "trafficStrategy.update", { id, data: spec }).catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
  }
});
