// npm run bench:memory — memory per idle client connection of the agent.
//
// Starts the agent (its own process, static config, transaction pooling) and measures its RSS
// after warm-up, then opens BENCH_CLIENTS (default 5,000) authenticated client sessions that sit
// idle (SCRAM done, ReadyForQuery received; in transaction mode an idle client holds no server),
// and measures again after the heap settles. Does so BENCH_ROUNDS times (default 3), each with a fresh
// agent process, and prints the median KiB per client last: one process's figure moves by ±2 KiB from run
// to run (how much freed heap and malloc memory it happens to keep), the median much less.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile, TrafficStrategy, VirtualDatabase } from "@dbmesh/mesh";
import pg from "pg";
import { scramVerifier } from "../packages/api/src/crypto/scram";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 5000);
const PORT = Number(process.env.BENCH_AGENT_PORT ?? 6497);
const CONCURRENT_CONNECTS = 50;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** RSS after a full GC in the agent (SIGUSR2, see apps/agent/src/main.ts) and a moment to give pages back. */
async function settledRssKiB(pid: number): Promise<number> {
  process.kill(pid, "SIGUSR2");
  await sleep(1000);
  return rssKiB(pid);
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1]);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), "dbmesh-mem-"));
const password = "memory-bench-password";
const config = compile({
  revision: 1,
  mesh: {
    environments: [{ name: "bench", description: "", production: false }],
    endpoints: [{ name: "pg", environment: "bench", protocol: "POSTGRESQL", host: "127.0.0.1", port: 5432, database: "postgres", username: "postgres", role: "PRIMARY", weight: 1, labels: {} }],
    trafficStrategies: [TrafficStrategy.parse({ name: "mem", connectionPool: { mode: "transaction", maxSize: 10 } })],
    virtualDatabases: [VirtualDatabase.parse({ name: "mem", environment: "bench", trafficStrategy: "mem", backends: ["pg"] })],
    accessRules: [],
  },
  credentials: [{ name: "mem_app", scramVerifier: scramVerifier(password, 4096), virtualDatabases: ["mem"] }],
});
writeFileSync(join(dir, "config.json"), JSON.stringify(config), { mode: 0o600 });
interface Round {
  connectSeconds: number;
  baselineKiB: number;
  loadedKiB: number;
  loadedWithGarbageKiB: number;
}

/** One agent process: its RSS before and after CLIENTS idle sessions. */
async function measureOnce(): Promise<Round> {
  const agent = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "apps/agent/src/main.ts"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      DBMESH_API_URL: "",
      DBMESH_AGENT_CONFIG_FILE: join(dir, "config.json"),
      DBMESH_AGENT_LISTEN: `127.0.0.1:${PORT}`,
      DBMESH_AGENT_METRICS_LISTEN: "off",
      DBMESH_AGENT_STATE_DIR: join(dir, "state"),
      LOG_LEVEL: "warn",
    },
  });
  const clients: pg.Client[] = [];
  try {
    const connectOne = async () => {
      for (let attempt = 0; ; attempt++) {
        const c = new pg.Client({ host: "127.0.0.1", port: PORT, user: "mem_app", password, database: "mem" });
        c.on("error", () => {});
        try {
          await c.connect();
          return c;
        } catch (err) {
          await c.end().catch(() => {});
          if (attempt > 50) throw err;
          await sleep(100);
        }
      }
    };
    // Warm-up: the agent is listening, has parsed its config, and has run a query through a pool.
    const warm = await connectOne();
    await warm.query("SELECT 1");
    await warm.end();
    await sleep(2000);
    const baselineKiB = await settledRssKiB(agent.pid!);

    const t0 = Date.now();
    for (let i = 0; i < CLIENTS; i += CONCURRENT_CONNECTS) {
      const batch = await Promise.all(Array.from({ length: Math.min(CONCURRENT_CONNECTS, CLIENTS - i) }, connectOne));
      clients.push(...batch);
    }
    const connectSeconds = (Date.now() - t0) / 1000;
    await sleep(3000);
    const loadedWithGarbageKiB = rssKiB(agent.pid!);
    const loadedKiB = await settledRssKiB(agent.pid!);
    return { connectSeconds, baselineKiB, loadedKiB, loadedWithGarbageKiB };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    const exited = new Promise((resolve) => agent.once("exit", resolve));
    agent.kill("SIGTERM");
    await Promise.race([exited, sleep(10_000)]);
  }
}

const kibPerClient = (r: Round) => (r.loadedKiB - r.baselineKiB) / CLIENTS;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = await measureOnce();
    rounds.push(round);
    console.error(
      `[bench] round ${r + 1}: baseline ${(round.baselineKiB / 1024).toFixed(1)} MiB, with ${CLIENTS} idle clients ${(round.loadedKiB / 1024).toFixed(1)} MiB: ${kibPerClient(round).toFixed(2)} KiB per client`,
    );
  }
  const perClient = rounds.map(kibPerClient);
  const mid = rounds[perClient.indexOf(median(perClient))]!;
  console.log(
    JSON.stringify({
      clients: CLIENTS,
      rounds: ROUNDS,
      connect_seconds: Number(mid.connectSeconds.toFixed(1)),
      baseline_rss_mib: Number((mid.baselineKiB / 1024).toFixed(1)),
      loaded_rss_mib: Number((mid.loadedKiB / 1024).toFixed(1)),
      // The median over the rounds; each round's figure follows.
      kib_per_idle_client: Number(median(perClient).toFixed(2)),
      kib_per_idle_client_rounds: perClient.map((x) => Number(x.toFixed(2))),
      // The same before the full GC: includes garbage the agent happened not to have collected yet (noisy).
      kib_per_idle_client_before_gc: Number(median(rounds.map((r) => (r.loadedWithGarbageKiB - r.baselineKiB) / CLIENTS)).toFixed(2)),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
