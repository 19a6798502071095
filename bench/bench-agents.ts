// The agents the proxy benchmarks run, shared by bench:proxy (bench/proxy.ts) and bench:ab (bench/agent-ab.ts):
// the mesh they serve (one virtual database over the pgbench database, transaction pooling with pool 10), how
// each is started, and how its CPU time is read.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { compile, TrafficStrategy, VirtualDatabase } from "@dbmesh/mesh";
import type { StubConsole } from "../apps/agent/src/testing/stub-console";
import { scramVerifier } from "../packages/api/src/crypto/scram";

export const DB = "dbmesh_bench";
export const CRED = "bench_app";
export const CRED_PASSWORD = "bench-password-not-secret";

/**
 * The bench mesh. Governed: access rules (default deny, an ALLOW rule for the pgbench tables), a circuit break,
 * a concurrency control and per-credential/per-database rate limits set high enough never to refuse, and the SQL
 * audit trail in `auditMode`. Not governed: none of that, audit off.
 */
export function benchConfig(governed: boolean, auditMode = "all") {
  const strategy = TrafficStrategy.parse({
    name: "bench",
    connectionPool: { mode: "transaction", maxSize: 10 },
    ...(governed
      ? {
          circuitBreaks: [{ name: "no-ddl", regex: [], statementKinds: ["ddl", "truncate"] }],
          concurrencyControls: [{ name: "accounts-lane", regex: ["pgbench_accounts"], statementKinds: [], maxConcurrency: 64, waitTimeoutMs: 1000 }],
        }
      : {}),
  });
  const vdb = VirtualDatabase.parse({
    name: DB,
    environment: "bench",
    trafficStrategy: "bench",
    backends: ["pg-bench"],
    ...(governed
      ? {
          accessDefault: "deny",
          audit: { mode: auditMode, keepLiterals: false },
          rateLimits: { perCredentialPerSecond: 1_000_000, perDatabasePerSecond: 1_000_000 },
        }
      : { audit: { mode: "off" } }),
  });
  return compile({
    revision: 1,
    mesh: {
      environments: [{ name: "bench", description: "", production: false }],
      endpoints: [{ name: "pg-bench", environment: "bench", protocol: "POSTGRESQL", host: "127.0.0.1", port: 5432, database: DB, username: "postgres", role: "PRIMARY", weight: 1, labels: {} }],
      trafficStrategies: [strategy],
      virtualDatabases: [vdb],
      accessRules: governed
        ? [{ name: "bench-read", virtualDatabase: DB, credential: CRED, operations: ["select"], tables: ["public.pgbench_*", "pg_catalog.*"], effect: "ALLOW", description: "" }]
        : [],
    },
    credentials: [{ name: CRED, scramVerifier: scramVerifier(CRED_PASSWORD), virtualDatabases: [DB] }],
  });
}

export interface BenchAgentOptions {
  /** Names its files under `dir` and the agent itself. */
  name: string;
  dir: string;
  port: number;
  governed: boolean;
  auditMode?: string;
  /** "off" or host:port. */
  metricsListen?: string;
  /**
   * A console to poll, heartbeat and ship audit batches to (its token is `console.token`); the config is published
   * there too. Without one the agent serves the config file alone, and audits nothing (nowhere to send events).
   */
  console?: { stub: StubConsole; token: string };
  nodeArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** The checkout whose agent runs (another worktree, to compare two versions); this one by default. */
  cwd?: string;
  /** The agent's log (pino, stdout; warnings and errors here): "ignore" by default, "inherit" to see why one failed. */
  stdout?: "inherit" | "ignore";
}

/** Starts an agent from the sources (tsx) with the bench mesh written to its config file. */
export function startBenchAgent(o: BenchAgentOptions): ChildProcess {
  const config = benchConfig(o.governed, o.auditMode);
  o.console?.stub.publish(config, config.revision);
  const file = join(o.dir, `${o.name}-config.json`);
  writeFileSync(file, JSON.stringify(config));
  chmodSync(file, 0o600);
  return spawn(process.execPath, [...(o.nodeArgs ?? []), "--import", "tsx", "apps/agent/src/main.ts"], {
    ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
    stdio: ["ignore", o.stdout ?? "ignore", "inherit"],
    env: {
      ...process.env,
      ...o.env,
      DBMESH_API_URL: o.console?.stub.url ?? "",
      ...(o.console === undefined ? {} : { DBMESH_AGENT_TOKEN: o.console.token }),
      DBMESH_AGENT_CONFIG_FILE: file,
      DBMESH_AGENT_LISTEN: `127.0.0.1:${o.port}`,
      DBMESH_AGENT_METRICS_LISTEN: o.metricsListen ?? "off",
      DBMESH_AGENT_STATE_DIR: join(o.dir, `${o.name}-state`),
      DBMESH_AGENT_NAME: o.name,
      LOG_LEVEL: "warn",
    },
  });
}

/** utime and stime of a process, in clock ticks (100 per second on Linux), or NaN when unreadable. */
export function cpuTicks(pid: number | undefined): { user: number; system: number } {
  if (pid === undefined) return { user: NaN, system: NaN };
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return { user: Number(fields[11]), system: Number(fields[12]) };
  } catch {
    return { user: NaN, system: NaN };
  }
}

export async function waitForPort(port: number, ms = 20_000): Promise<void> {
  const { connect } = await import("node:net");
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
}

export interface PgbenchRun {
  tps: number;
  /** The proxy's CPU time per transaction (µs): in user space (its own code) and in the kernel (mostly its socket reads and writes). */
  cpuUsPerTxn: number;
  userUsPerTxn: number;
  systemUsPerTxn: number;
}

const execFileAsync = promisify(execFile);

/**
 * One `pgbench -n -S` run against 127.0.0.1:`port` (without blocking this process: a stub console may live here),
 * with the CPU time the process `pid` spent meanwhile. `extraArgs` go before the database name (e.g. `-l`).
 */
export async function runPgbench(o: {
  port: number;
  user: string;
  password?: string;
  clients: number;
  protocol: string;
  seconds: number;
  pid: number | undefined;
  extraArgs?: readonly string[];
}): Promise<PgbenchRun> {
  const args = ["-n", "-S", "-M", o.protocol, "-c", String(o.clients), "-j", String(Math.min(o.clients, 2)), "-T", String(o.seconds), "-h", "127.0.0.1", "-p", String(o.port), "-U", o.user, ...(o.extraArgs ?? []), DB];
  const before = cpuTicks(o.pid);
  const { stdout } = await execFileAsync("pgbench", args, { env: { ...process.env, PGPASSWORD: o.password ?? "" }, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  const after = cpuTicks(o.pid);
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1]);
  if (!Number.isFinite(tps) || !(transactions > 0)) throw new Error(`pgbench on port ${o.port} gave no result:\n${stdout}`);
  const user = after.user - before.user;
  const system = after.system - before.system;
  // Clock ticks are 10 ms: ticks × 10,000 µs per transaction.
  return { tps, cpuUsPerTxn: ((user + system) * 10_000) / transactions, userUsPerTxn: (user * 10_000) / transactions, systemUsPerTxn: (system * 10_000) / transactions };
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
