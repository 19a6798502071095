// npm run bench:config — how fast does a mesh change reach 1,000 long-polling agents?
//
// Starts the built console (next start) on its own port against a scratch control database,
// registers BENCH_AGENTS agents (default 1,000), long-polls GET /api/agent/v1/config for each from
// this one process, then changes the mesh BENCH_CHANGES times (default 50) through the tRPC API
// with an admin API token. The delay of one agent for one change is from the moment the change
// request was sent to the moment that agent holds the new revision. Prints p50/p99 in ms last.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createTestDatabase } from "@dbmesh/db/testing";
import { Agent as HttpAgent, fetch, setGlobalDispatcher } from "undici";
import { newId } from "../packages/api/src/ids";
import { newSecretToken, sha256Hex } from "../packages/api/src/crypto/token";

const AGENTS = Number(process.env.BENCH_AGENTS ?? 1000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 50);
const PORT = Number(process.env.BENCH_WEB_PORT ?? 3201);
const BASE = `http://127.0.0.1:${PORT}`;

// One keep-alive connection per simulated agent, as real agents would hold.
setGlobalDispatcher(new HttpAgent({ connections: AGENTS + 50, keepAliveTimeout: 120_000, headersTimeout: 120_000, bodyTimeout: 120_000 }));

if (!existsSync("apps/web/.next/BUILD_ID")) {
  console.error("[bench] building the console first (npm run build -w @dbmesh/web)");
  await new Promise<void>((resolve, reject) =>
    spawn("npm", ["run", "build", "-w", "@dbmesh/web"], { stdio: "inherit" }).on("exit", (c) => (c === 0 ? resolve() : reject(new Error(`build exited ${c}`)))),
  );
}

const tdb = await createTestDatabase();
const secretKey = process.env.DBMESH_SECRET_KEY ?? "ab".repeat(32);
// The same server `npm start` runs (apps/web/server.ts).
const web = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
  cwd: "apps/web",
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, DATABASE_URL: tdb.url, DBMESH_SECRET_KEY: secretKey, LOG_LEVEL: "warn", DBMESH_WEB_HOST: "127.0.0.1", DBMESH_WEB_PORT: String(PORT) },
  detached: true,
});
const stop = async () => {
  try {
    process.kill(-web.pid!, "SIGTERM");
  } catch {
    /* already gone */
  }
  await new Promise((resolve) => (web.exitCode !== null ? resolve(null) : web.once("exit", resolve)));
  await tdb.drop();
};

try {
  // Admin with an API token, and the agents, written straight to the scratch database.
  const adminToken = newSecretToken("dbm");
  const adminId = newId("usr");
  await tdb.db.user.create({ data: { id: adminId, email: "bench@example.test", name: "bench", role: "ADMIN", passwordHash: "x" } });
  await tdb.db.apiToken.create({ data: { id: newId("tok"), name: "bench", prefix: adminToken.slice(0, 10), tokenHash: sha256Hex(adminToken), userId: adminId } });
  const agentTokens = Array.from({ length: AGENTS }, () => newSecretToken("dbmag"));
  await tdb.db.agent.createMany({
    data: agentTokens.map((t, i) => ({ id: newId("agt"), name: `bench-${i}`, tokenHash: sha256Hex(t), tokenPrefix: t.slice(0, 12) })),
  });

  for (let i = 0; i < 300; i++) {
    if ((await fetch(`${BASE}/api/health`).catch(() => null))?.ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  const trpc = async (path: string, input: unknown) => {
    const res = await fetch(`${BASE}/api/trpc/${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ json: input }),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  };
  await trpc("environment.create", { name: "bench" });

  // The simulated agents: each keeps the newest revision it holds and when it got it.
  const held = new Array<number>(AGENTS).fill(-1);
  const receivedAt = new Map<number, number[]>(); // revision → arrival times
  let running = true;
  const poll = async (i: number) => {
    while (running) {
      try {
        const res = await fetch(`${BASE}/api/agent/v1/config?wait=30`, {
          headers: { authorization: `Bearer ${agentTokens[i]}`, ...(held[i]! >= 0 ? { "if-none-match": `"${held[i]}"` } : {}) },
        });
        if (res.status === 200) {
          const body = (await res.json()) as { revision: number };
          held[i] = body.revision;
          (receivedAt.get(body.revision) ?? receivedAt.set(body.revision, []).get(body.revision)!).push(performance.now());
        } else {
          await res.arrayBuffer();
        }
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const pollers = Array.from({ length: AGENTS }, (_, i) => poll(i));
  const allAt = async (revision: number, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while (held.some((r) => r < revision) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return held.filter((r) => r >= revision).length;
  };
  const startRevision = Number((await tdb.db.meshState.findUniqueOrThrow({ where: { id: 1 } })).revision);
  if ((await allAt(startRevision, 60_000)) < AGENTS) throw new Error("not every agent got the first config");
  await new Promise((r) => setTimeout(r, 1000)); // all held now

  const delays: number[] = [];
  let missed = 0;
  for (let c = 1; c <= CHANGES; c++) {
    const sentAt = performance.now();
    await trpc("environment.update", {
      id: (await tdb.db.environment.findUniqueOrThrow({ where: { name: "bench" } })).id,
      data: { name: "bench", description: `change ${c}`, production: false },
    });
    const revision = Number((await tdb.db.meshState.findUniqueOrThrow({ where: { id: 1 } })).revision);
    const got = await allAt(revision, 10_000);
    missed += AGENTS - got;
    for (const t of receivedAt.get(revision) ?? []) delays.push(t - sentAt);
    await new Promise((r) => setTimeout(r, 200));
  }
  running = false;
  delays.sort((a, b) => a - b);
  const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))]!;
  const result = {
    agents: AGENTS,
    changes: CHANGES,
    samples: delays.length,
    missed,
    propagation_p50_ms: Number(pct(50).toFixed(1)),
    propagation_p99_ms: Number(pct(99).toFixed(1)),
    propagation_max_ms: Number(delays[delays.length - 1]!.toFixed(1)),
  };
  console.log(JSON.stringify(result));
  void pollers; // they end with `running`; the process exits below
} finally {
  await stop();
  process.exit(0);
}
