// npm run bench:proxy — pgbench through the agent vs PgBouncer vs direct, interleaved in one run.
//
// Sets up (idempotently): pgbench and pgbouncer from apt when missing, a pgbench database
// (scale 10), PgBouncer in transaction mode with pool 10, and the agent in transaction mode with
// pool 10 serving a static config (no console needed). Then for each round, client count and
// protocol, runs the three targets back to back so that they share the machine's state; reports
// medians of BENCH_ROUNDS rounds (default 3). Latency percentiles at -c 1 come from pgbench's
// per-transaction log. Every target is warmed up first (BENCH_WARMUP_SECONDS per protocol, default 2):
// the agent's first seconds include JIT compilation and the SQL parser's WASM tier-up, which say nothing
// about its steady state. Prints a table, then one JSON object as the last line.
//
// Throughput on a 2-core box shared by pgbench, Postgres and the proxy (and whatever else runs there) swings
// from run to run; the CPU time each proxy process spends per transaction (utime + stime from /proc, in
// `cpu_us_per_txn`) is far steadier, and is what a change to the proxy's hot path moves directly.
//
// Governance round (issue 4): at -c 8 a second agent, "governed", runs next to the pass-through one with what a
// governed virtual database costs — access rules (default deny, an ALLOW rule for the pgbench tables), a
// circuit break, a concurrency control and per-credential/per-database rate limits set high enough never to
// refuse, and the SQL audit trail in mode `all` (every statement written to its spool before its result is
// released, shipped to a stub console that acknowledges every batch). The JSON gains
// `governance_vs_passthrough_c8_{simple,prepared}` and `governance_vs_pgbouncer_c8_{simple,prepared}`.
//
// The Node floor (simple protocol only; BENCH_FLOOR=off skips it): bench/node-floor-proxy.ts, a proxy that copies
// bytes between each client and its own server connection through the agent's socket primitives and does
// nothing else, runs in every round next to the others. agent/floor is what the agent's own work per message
// costs; floor/PgBouncer is what Node and V8 cost against C on this box, before the agent does anything, and
// so the most any agent written on Node could reach here. At -c 32 the floor holds 32 server connections.
//
// Knobs for finding where the time goes: BENCH_CLIENTS (e.g. "8"), BENCH_SECONDS, BENCH_GOVERNED_AUDIT (an audit
// mode for the governed agent, e.g. "off" to see what the rest of governance costs), BENCH_AGENT_NODE_ARGS (node
// flags for both agents, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"; node refuses --cpu-prof in NODE_OPTIONS),
// BENCH_AGENT_API=on (the pass-through agent polls and heartbeats a stub console of its own, as a deployed agent
// does; by default it serves its config file alone, while the governed agent always has a console to ship audit
// batches to). For two agents side by side with nothing else, `npm run bench:ab` (bench/agent-ab.ts).
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StubConsole } from "../apps/agent/src/testing/stub-console";
import { CRED, CRED_PASSWORD, DB, median, runPgbench, startBenchAgent, waitForPort } from "./bench-agents";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GOVERNED_AUDIT_MODE = (process.env.BENCH_GOVERNED_AUDIT ?? "all") as "all";
/** Extra node flags for both agents, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (node refuses those in NODE_OPTIONS). */
const AGENT_NODE_ARGS = (process.env.BENCH_AGENT_NODE_ARGS ?? "").split(" ").filter(Boolean);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = (process.env.BENCH_CLIENTS ?? "1,8,32").split(",").map(Number);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const PG_PORT = 5432;
const BOUNCER_PORT = Number(process.env.BENCH_PGBOUNCER_PORT ?? 6499);
const AGENT_PORT = Number(process.env.BENCH_AGENT_PORT ?? 6498);
const GOVERNED_PORT = Number(process.env.BENCH_GOVERNED_PORT ?? 6497);
const GOVERNED_METRICS_PORT = Number(process.env.BENCH_GOVERNED_METRICS_PORT ?? 6496);
const FLOOR_PORT = Number(process.env.BENCH_FLOOR_PORT ?? 6495);
const WITH_FLOOR = process.env.BENCH_FLOOR !== "off";
const GOVERNED_TOKEN = "dbmag_bench_governed";
const AGENT_TOKEN = "dbmag_bench_agent";
/** The pass-through agent polls a console of its own, as a deployed agent does (the governed one always has one). */
const AGENT_WITH_API = process.env.BENCH_AGENT_API === "on";

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {}) {
  return execFileSync(cmd, args, { env: { ...process.env, ...opts.env }, stdio: opts.quiet ? "pipe" : ["ignore", "pipe", "inherit"], encoding: "utf8" });
}

function have(cmd: string) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

function ensureTools() {
  const missing = [!have("pgbench") && "postgresql-contrib", !have("pgbouncer") && !existsPgbouncer() && "pgbouncer"].filter(Boolean) as string[];
  if (missing.length === 0) return;
  console.error(`[bench] installing ${missing.join(" ")} with apt`);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  const run = (args: string[]) => execFileSync(sudo[0] ?? args[0]!, sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  run(["apt-get", "update", "-qq"]);
  run(["apt-get", "install", "-y", "-qq", ...missing]);
}

function existsPgbouncer() {
  return spawnSync("sh", ["-c", "test -x /usr/sbin/pgbouncer"]).status === 0;
}

function psql(sql: string, db = "postgres") {
  return sh("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAc", sql], { quiet: true }).trim();
}

function pgbouncerBin() {
  return have("pgbouncer") ? "pgbouncer" : "/usr/sbin/pgbouncer";
}

/** PgBouncer learned prepared statements in transaction mode in 1.21 (max_prepared_statements). */
function pgbouncerVersion(): [number, number] {
  const m = /PgBouncer (\d+)\.(\d+)/.exec(sh(pgbouncerBin(), ["--version"], { quiet: true }));
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}
let pgbouncerHasPrepared = false;

function startPgbouncer(dir: string): ChildProcess {
  // PgBouncer refuses to run as root and must own its files: run it as postgres.
  const ini = join(dir, "pgbouncer.ini");
  writeFileSync(join(dir, "userlist.txt"), `"postgres" ""\n`);
  writeFileSync(
    ini,
    `[databases]\n${DB} = host=127.0.0.1 port=${PG_PORT} dbname=${DB} user=postgres\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${BOUNCER_PORT}\nauth_type = trust\nauth_file = ${join(dir, "userlist.txt")}\npool_mode = transaction\ndefault_pool_size = 10\nmax_client_conn = 1000\n${pgbouncerHasPrepared ? "max_prepared_statements = 200\n" : ""}logfile = ${join(dir, "pgbouncer.log")}\nunix_socket_dir =\n`,
  );
  execFileSync("chown", ["-R", "postgres:postgres", dir]);
  const bin = pgbouncerBin();
  return process.getuid?.() === 0 ? spawn("runuser", ["-u", "postgres", "--", bin, ini], { stdio: "ignore" }) : spawn(bin, [ini], { stdio: "ignore" });
}

/** The governed agent: a console (a stub that acknowledges audit batches) is what makes it audit. */
function startGovernedAgent(dir: string, stub: StubConsole): ChildProcess {
  return startBenchAgent({
    name: "governed",
    dir,
    port: GOVERNED_PORT,
    governed: true,
    auditMode: GOVERNED_AUDIT_MODE,
    metricsListen: `127.0.0.1:${GOVERNED_METRICS_PORT}`,
    console: { stub, token: GOVERNED_TOKEN },
    nodeArgs: AGENT_NODE_ARGS,
  });
}

/** The Node floor (see the top): postgres's own login passes through it. */
function startFloor(): ChildProcess {
  return spawn(process.execPath, [...AGENT_NODE_ARGS, "--import", "tsx", "bench/node-floor-proxy.ts", String(FLOOR_PORT), String(PG_PORT)], {
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/** The pass-through agent: the config file alone, or (BENCH_AGENT_API=on) polling a console of its own too. */
function startAgent(dir: string, apiStub: StubConsole | null): ChildProcess {
  return startBenchAgent({
    name: "agent",
    dir,
    port: AGENT_PORT,
    governed: false,
    ...(apiStub === null ? {} : { console: { stub: apiStub, token: AGENT_TOKEN } }),
    nodeArgs: AGENT_NODE_ARGS,
  });
}

type Target = "direct" | "pgbouncer" | "agent" | "governed" | "floor";
const targets: Record<Target, { port: number; user: string; password?: string }> = {
  direct: { port: PG_PORT, user: "postgres" },
  pgbouncer: { port: BOUNCER_PORT, user: "postgres" },
  agent: { port: AGENT_PORT, user: CRED, password: CRED_PASSWORD },
  governed: { port: GOVERNED_PORT, user: CRED, password: CRED_PASSWORD },
  floor: { port: FLOOR_PORT, user: "postgres" },
};
/** The governance round runs at this client count only (the target is stated at -c 8). */
const GOVERNED_CLIENTS = 8;

/** A counter of the governed agent's /metrics, summed over its series. */
async function governedMetric(name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${GOVERNED_METRICS_PORT}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}${labels} `))
    .reduce((n, l) => n + Number(l.split(" ")[1]), 0);
}

/** Process ids of the proxies, for their CPU time (direct has none: Postgres is shared by all three). */
const proxyPids: Partial<Record<Target, number>> = {};

/**
 * Runs pgbench without blocking this process: the stub console that acknowledges the governed agent's audit
 * batches lives here, and while it cannot answer the agent's spool only grows (once full, events are dropped
 * and recording gets cheaper — which would flatter the governed figures).
 */
async function pgbench(target: Target, clients: number, mode: "simple" | "prepared", logDir?: string, seconds = SECONDS) {
  const t = targets[target];
  // An old PgBouncer would fail -M prepared in transaction mode ("prepared statement does not
  // exist"): it gets the extended protocol with unnamed statements instead, and the output says so.
  const protocol = target === "pgbouncer" && mode === "prepared" && !pgbouncerHasPrepared ? "extended" : mode;
  return runPgbench({
    port: t.port,
    user: t.user,
    ...(t.password === undefined ? {} : { password: t.password }),
    clients,
    protocol,
    seconds,
    pid: proxyPids[target],
    ...(logDir ? { extraArgs: ["-l", `--log-prefix=${join(logDir, target)}`] } : {}),
  });
}

/** Per-transaction latencies (µs) from pgbench -l files: column 3. */
function latencies(logDir: string, target: Target): number[] {
  const out: number[] = [];
  for (const f of readdirSync(logDir).filter((n) => n.startsWith(`${target}.`))) {
    for (const line of readFileSync(join(logDir, f), "utf8").split("\n")) {
      const cols = line.split(" ");
      if (cols.length > 3) out.push(Number(cols[2]));
    }
  }
  return out.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main() {
  ensureTools();
  const [major, minor] = pgbouncerVersion();
  pgbouncerHasPrepared = major > 1 || (major === 1 && minor >= 21);
  if (psql(`SELECT 1 FROM pg_database WHERE datname = '${DB}'`) !== "1") {
    console.error(`[bench] creating ${DB} (pgbench scale 10)`);
    psql(`CREATE DATABASE ${DB}`);
    sh("pgbench", ["-i", "-q", "-s", "10", "-h", "127.0.0.1", "-U", "postgres", DB], { quiet: true });
  }
  const dir = mkdtempSync(join(tmpdir(), "dbmesh-bench-"));
  chmodSync(dir, 0o755);
  const stub = new StubConsole(GOVERNED_TOKEN);
  stub.keepAuditEvents = false;
  await stub.start();
  const agentStub = AGENT_WITH_API ? new StubConsole(AGENT_TOKEN) : null;
  await agentStub?.start();
  const children = [startPgbouncer(dir), startAgent(dir, agentStub), startGovernedAgent(dir, stub), ...(WITH_FLOOR ? [startFloor()] : [])];
  proxyPids.agent = children[1]!.pid;
  proxyPids.governed = children[2]!.pid;
  proxyPids.floor = children[3]?.pid;
  const cleanup = () => {
    for (const c of children) c.kill("SIGTERM");
    void stub.stop();
    void agentStub?.stop();
  };
  process.on("exit", cleanup);
  try {
    await waitForPort(BOUNCER_PORT);
    await waitForPort(AGENT_PORT);
    await waitForPort(GOVERNED_PORT);
    if (WITH_FLOOR) await waitForPort(FLOOR_PORT);
    // PgBouncer runs under runuser when we are root: its CPU time is its own process's, runuser's child.
    const bouncer = children[0]!.pid;
    const bouncerChild = process.getuid?.() === 0 ? spawnSync("pgrep", ["-P", String(bouncer)], { encoding: "utf8" }).stdout.trim().split("\n")[0] : "";
    proxyPids.pgbouncer = bouncerChild ? Number(bouncerChild) : bouncer;
    if (WARMUP_SECONDS > 0) {
      console.error(`[bench] warming up every target (${WARMUP_SECONDS} s per protocol)`);
      for (const target of ["direct", "pgbouncer", "agent", "governed"] as Target[]) {
        for (const mode of ["simple", "prepared"] as const) await pgbench(target, 8, mode, undefined, WARMUP_SECONDS);
      }
      if (WITH_FLOOR) await pgbench("floor", 8, "simple", undefined, WARMUP_SECONDS);
    }
    const results: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    /** Per-transaction latencies at -c 1 simple, by target, one array per round. */
    const lat: Record<Target, number[][]> = { direct: [], pgbouncer: [], agent: [], governed: [], floor: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const clients of CLIENTS) {
        for (const mode of ["simple", "prepared"] as const) {
          const logDir = clients === 1 && mode === "simple" ? join(dir, `lat-${round}`) : undefined;
          if (logDir) mkdirSync(logDir, { recursive: true });
          const roundTargets: Target[] = ["direct", "pgbouncer", "agent"];
          if (clients === GOVERNED_CLIENTS) roundTargets.push("governed");
          if (WITH_FLOOR && mode === "simple") roundTargets.push("floor");
          for (const target of roundTargets) {
            const { tps, cpuUsPerTxn, userUsPerTxn, systemUsPerTxn } = await pgbench(target, clients, mode, logDir);
            (results[`${target}/c${clients}/${mode}`] ??= []).push(tps);
            if (target !== "direct") (cpu[`${target}/c${clients}/${mode}`] ??= []).push(cpuUsPerTxn);
            if (logDir) lat[target].push(latencies(logDir, target).sort((a, b) => a - b));
            const cpuNote = target === "direct" ? "" : `, CPU ${cpuUsPerTxn.toFixed(1)} µs/txn (user ${userUsPerTxn.toFixed(1)}, kernel ${systemUsPerTxn.toFixed(1)})`;
            console.error(`[bench] round ${round} c=${clients} ${mode.padEnd(8)} ${target.padEnd(9)} ${tps.toFixed(0)} tps${cpuNote}`);
          }
        }
      }
    }
    const tps = (t: Target, c: number, m: string) => median(results[`${t}/c${c}/${m}`] ?? [NaN]);
    /** Each round's tps of run `a` over the same round's tps of run `b` (keys of `results`). */
    const ratioByRound = (a: string, b: string) => (results[a] ?? []).map((t, i) => Number((t / (results[b] ?? [])[i]!).toFixed(3)));
    const rows = CLIENTS.flatMap((c) =>
      (["simple", "prepared"] as const).map((m) => ({
        clients: c,
        mode: m,
        direct: Math.round(tps("direct", c, m)),
        pgbouncer: Math.round(tps("pgbouncer", c, m)),
        agent: Math.round(tps("agent", c, m)),
        agent_vs_pgbouncer: Number((tps("agent", c, m) / tps("pgbouncer", c, m)).toFixed(3)),
        agent_vs_direct: Number((tps("agent", c, m) / tps("direct", c, m)).toFixed(3)),
      })),
    );
    const hasFloor = (m: string) => WITH_FLOOR && m === "simple";
    const floorCell = (m: string, text: () => string, width: number) => (hasFloor(m) ? text() : "-").padStart(width);
    console.log("clients mode      direct  pgbouncer  agent   agent/pgbouncer  agent/direct  node-floor  agent/floor  floor/pgbouncer");
    for (const r of rows) {
      const c = r.clients;
      console.log(
        `${String(c).padEnd(7)} ${r.mode.padEnd(9)} ${String(r.direct).padStart(7)} ${String(r.pgbouncer).padStart(10)} ${String(r.agent).padStart(6)}   ${r.agent_vs_pgbouncer.toFixed(3).padStart(15)}  ${r.agent_vs_direct.toFixed(3).padStart(12)}` +
          `  ${floorCell(r.mode, () => String(Math.round(tps("floor", c, r.mode))), 10)}  ${floorCell(r.mode, () => (tps("agent", c, r.mode) / tps("floor", c, r.mode)).toFixed(3), 11)}  ${floorCell(r.mode, () => (tps("floor", c, r.mode) / tps("pgbouncer", c, r.mode)).toFixed(3), 15)}`,
      );
    }
    // Added latency: a proxy's percentile minus direct's in the same round (the runs are seconds apart), median
    // over rounds. Pooling every round's samples instead let one slow direct run push the added p99 below zero.
    const added = (t: Target, p: number) =>
      CLIENTS.includes(1) ? Math.round(median(lat[t].map((sorted, round) => pct(sorted, p) - pct(lat.direct[round]!, p)))) : null;
    const hasC8 = CLIENTS.includes(8);
    const c8Ratio = (a: Target, b: Target, m: string) => (hasC8 ? Number((tps(a, 8, m) / tps(b, 8, m)).toFixed(3)) : null);
    const summary = {
      pgbouncer_version: `${major}.${minor}`,
      pgbouncer_prepared_mode: pgbouncerHasPrepared ? "prepared" : "extended (PgBouncer < 1.21 cannot keep prepared statements in transaction mode)",
      rounds: ROUNDS,
      seconds_per_run: SECONDS,
      agent_polls_a_console: AGENT_WITH_API,
      agent_vs_pgbouncer_c8_simple: c8Ratio("agent", "pgbouncer", "simple"),
      agent_vs_pgbouncer_c8_prepared: c8Ratio("agent", "pgbouncer", "prepared"),
      agent_vs_pgbouncer_c1_simple: CLIENTS.includes(1) ? Number((tps("agent", 1, "simple") / tps("pgbouncer", 1, "simple")).toFixed(3)) : null,
      agent_vs_pgbouncer_c1_prepared: CLIENTS.includes(1) ? Number((tps("agent", 1, "prepared") / tps("pgbouncer", 1, "prepared")).toFixed(3)) : null,
      agent_vs_direct_c8_simple: c8Ratio("agent", "direct", "simple"),
      added_p50_us_c1: added("agent", 50),
      added_p99_us_c1: added("agent", 99),
      pgbouncer_added_p50_us_c1: added("pgbouncer", 50),
      pgbouncer_added_p99_us_c1: added("pgbouncer", 99),
      // Each round's agent/PgBouncer tps ratio per client count and protocol, as for governance below: the box's
      // speed drifts between rounds, and a ratio within one round (runs seconds apart) cancels most of that.
      agent_vs_pgbouncer_by_round: Object.fromEntries(
        CLIENTS.flatMap((c) =>
          (["simple", "prepared"] as const).map((m) => [
            `c${c}_${m}`,
            ratioByRound(`agent/c${c}/${m}`, `pgbouncer/c${c}/${m}`),
          ]),
        ),
      ),
      // The Node floor, simple protocol: each round's ratios, as above.
      node_floor_by_round: WITH_FLOOR
        ? Object.fromEntries(
            CLIENTS.map((c) => [
              `c${c}_simple`,
              { agent_vs_floor: ratioByRound(`agent/c${c}/simple`, `floor/c${c}/simple`), floor_vs_pgbouncer: ratioByRound(`floor/c${c}/simple`, `pgbouncer/c${c}/simple`) },
            ]),
          )
        : null,
      cpu_us_per_txn: Object.fromEntries(
        (["agent", "pgbouncer", ...(WITH_FLOOR ? (["floor"] as const) : [])] as const).map((t) => [
          t,
          Object.fromEntries(
            CLIENTS.flatMap((c) =>
              (["simple", "prepared"] as const).filter((m) => t !== "floor" || m === "simple").map((m) => [`c${c}_${m}`, Number(median(cpu[`${t}/c${c}/${m}`]!).toFixed(1))]),
            ),
          ),
        ]),
      ),
    };
    // The governance round: the same agent with access rules, limits and the SQL audit trail (mode all) on.
    const hasGoverned = CLIENTS.includes(GOVERNED_CLIENTS);
    const ratio = (a: number, b: number) => (hasGoverned ? Number((a / b).toFixed(3)) : null);
    const g = GOVERNED_CLIENTS;
    if (hasGoverned) {
      console.log(`governance at -c ${g}: simple ${Math.round(tps("governed", g, "simple"))} tps, prepared ${Math.round(tps("governed", g, "prepared"))} tps (access rules + circuit break + concurrency control + rate limits + SQL audit, mode ${GOVERNED_AUDIT_MODE})`);
    }
    const auditDeadline = Date.now() + 10_000;
    const spooled = await governedMetric("dbmesh_agent_audit_events_total", '{outcome="spooled"}').catch(() => NaN);
    while (stub.auditEventCount < spooled && Date.now() < auditDeadline) await new Promise((r) => setTimeout(r, 200));
    const governance = {
      governance_vs_passthrough_c8_simple: ratio(tps("governed", g, "simple"), tps("agent", g, "simple")),
      governance_vs_passthrough_c8_prepared: ratio(tps("governed", g, "prepared"), tps("agent", g, "prepared")),
      governance_vs_pgbouncer_c8_simple: ratio(tps("governed", g, "simple"), tps("pgbouncer", g, "simple")),
      governance_vs_pgbouncer_c8_prepared: ratio(tps("governed", g, "prepared"), tps("pgbouncer", g, "prepared")),
      // Each round's governed tps over the same round's pass-through tps: the box's speed drifts between rounds
      // (±15% here), and a ratio within one round cancels most of that drift. The figures above are ratios of
      // medians taken over all rounds, as for the other targets.
      governance_vs_passthrough_c8_by_round: hasGoverned
        ? Object.fromEntries(
            (["simple", "prepared"] as const).map((m) => [
              m,
              ratioByRound(`governed/c${g}/${m}`, `agent/c${g}/${m}`),
            ]),
          )
        : null,
      governance_cpu_us_per_txn_c8: hasGoverned
        ? { simple: Number(median(cpu[`governed/c${g}/simple`]!).toFixed(1)), prepared: Number(median(cpu[`governed/c${g}/prepared`]!).toFixed(1)) }
        : null,
      governance_audit_events: {
        spooled,
        dropped: await governedMetric("dbmesh_agent_audit_events_total", '{outcome="dropped"}').catch(() => NaN),
        received_by_console: stub.auditEventCount,
      },
      governance_denied_statements: await governedMetric("dbmesh_agent_denied_statements_total").catch(() => NaN),
      // Full (mark-compact) collections of the governed agent over the whole run: each costs milliseconds of CPU.
      // fetch-posted audit batches once caused about one per batch (21-61 in a 6 s run); node:http, a handful.
      governance_major_gcs: await governedMetric("dbmesh_agent_nodejs_gc_duration_seconds_count", '{kind="major"}').catch(() => NaN),
    };
    if (governance.governance_audit_events.dropped > 0) {
      // A dropped event costs the agent less than a spooled one: the governed figures would be flattered.
      console.error(`[bench] warning: the governed agent dropped ${governance.governance_audit_events.dropped} audit events; its figures are not comparable`);
    }
    console.log(JSON.stringify({ ...summary, ...governance }));
  } finally {
    cleanup();
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
