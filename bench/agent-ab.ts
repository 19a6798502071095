// npm run bench:ab — two or more agents side by side, nothing else: pgbench -S through each in turn, round after
// round, with each agent's CPU time per transaction (utime + stime from /proc). For questions bench:proxy's full
// table is too slow or too coarse for: does this change make the agent faster, what does a console cost.
//
//   BENCH_AB="static,api"  variants (default), each one agent on its own port:
//     static    pass-through, serving its config file alone (bench:proxy's "agent")
//     api       pass-through, also polling and heartbeating a stub console (a deployed agent)
//     governed  access rules, limits and SQL audit (mode all) shipped to a stub console (bench:proxy's "governed")
//     governed-audit-off  the same without the audit trail
//   A variant may name another checkout to run: "static@/path/to/worktree". For example:
//     git worktree add /tmp/old <commit> && ln -s "$PWD/node_modules" /tmp/old/node_modules
//     BENCH_AB="governed@/tmp/old,governed" npm run bench:ab
//   The worktree's apps/agent runs, but the @dbmesh/* packages resolve through node_modules to this checkout's:
//   compare changes to apps/agent that way, not changes to packages/.
//   A variant may also set agent environment variables, each after a "+", before any "@":
//     BENCH_AB="governed,governed+DBMESH_AGENT_AUDIT_SPOOL=write"
//   BENCH_CLIENTS (8), BENCH_MODE (simple), BENCH_SECONDS (8), BENCH_ROUNDS (5), BENCH_AGENT_NODE_ARGS.
//
// Prints one line per run, the medians, and as its last line a JSON object: medians per variant and each
// variant's tps and CPU per transaction relative to the first one. Needs the pgbench database bench:proxy makes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StubConsole } from "../apps/agent/src/testing/stub-console";
import { CRED, CRED_PASSWORD, median, type PgbenchRun, runPgbench, startBenchAgent, waitForPort } from "./bench-agents";

const VARIANTS = (process.env.BENCH_AB ?? "static,api").split(",").map((v) => v.trim()).filter(Boolean);
/** A variant named twice (the noise floor: "static,static") is told apart by its position. */
const LABELS = VARIANTS.map((v, i) => (VARIANTS.indexOf(v) === i ? v : `${v}#${i + 1}`));
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const MODE = process.env.BENCH_MODE ?? "simple";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const NODE_ARGS = (process.env.BENCH_AGENT_NODE_ARGS ?? "").split(" ").filter(Boolean);
const FIRST_PORT = Number(process.env.BENCH_AB_PORT ?? 6580);
const KINDS = ["static", "api", "governed", "governed-audit-off"] as const;
type Kind = (typeof KINDS)[number];

function pgbench(port: number, pid: number | undefined, seconds: number): Promise<PgbenchRun> {
  return runPgbench({ port, user: CRED, password: CRED_PASSWORD, clients: CLIENTS, protocol: MODE, seconds, pid });
}

const round1 = (x: number) => Math.round(x * 10) / 10;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "dbmesh-ab-"));
  const stubs: StubConsole[] = [];
  const agents = [];
  try {
    for (const [i, variant] of VARIANTS.entries()) {
      const [spec, cwd] = variant.split("@") as [string, string | undefined];
      const [kind, ...assignments] = spec.split("+") as [Kind, ...string[]];
      const env = Object.fromEntries(
        assignments.map((a) => {
          const eq = a.indexOf("=");
          if (eq <= 0) throw new Error(`"${a}" in variant "${variant}" is not NAME=value`);
          return [a.slice(0, eq), a.slice(eq + 1)];
        }),
      );
      if (!KINDS.includes(kind)) throw new Error(`unknown variant "${kind}" (one of ${KINDS.join(", ")})`);
      const port = FIRST_PORT + i;
      let api: { stub: StubConsole; token: string } | undefined;
      if (kind !== "static") {
        const token = `dbmag_ab_${i}`;
        const stub = new StubConsole(token);
        stub.keepAuditEvents = false;
        await stub.start();
        stubs.push(stub);
        api = { stub, token };
      }
      const governed = kind.startsWith("governed");
      const child = startBenchAgent({
        name: `ab${i}`,
        dir,
        port,
        governed,
        auditMode: kind === "governed-audit-off" ? "off" : "all",
        ...(api === undefined ? {} : { console: api }),
        nodeArgs: NODE_ARGS,
        env,
        // Its warnings say why it did not start; the agents stop before their consoles, so nothing at the end.
        stdout: "inherit",
        ...(cwd === undefined ? {} : { cwd }),
      });
      agents.push({ variant: LABELS[i]!, port, child });
    }
    for (const a of agents) await waitForPort(a.port);
    // JIT and the SQL parser's tier-up first: their first seconds say nothing about the steady state.
    for (const a of agents) await pgbench(a.port, a.child.pid, 3);
    const runs = new Map<string, PgbenchRun[]>(agents.map((a) => [a.variant, []]));
    for (let r = 1; r <= ROUNDS; r++) {
      for (const a of agents) {
        const run = await pgbench(a.port, a.child.pid, SECONDS);
        runs.get(a.variant)!.push(run);
        process.stderr.write(
          `[ab] round ${r} ${a.variant.padEnd(20)} ${Math.round(run.tps)} tps, CPU ${run.cpuUsPerTxn.toFixed(1)} µs/txn (user ${run.userUsPerTxn.toFixed(1)}, kernel ${run.systemUsPerTxn.toFixed(1)})\n`,
        );
      }
    }
    const summary: Record<string, unknown> = { clients: CLIENTS, mode: MODE, seconds: SECONDS, rounds: ROUNDS };
    const first = agents[0]!.variant;
    const med = (v: string, k: keyof PgbenchRun) => median(runs.get(v)!.map((x) => x[k]));
    console.log(`median of ${ROUNDS} rounds, pgbench -S -M ${MODE} -c ${CLIENTS}:`);
    for (const a of agents) {
      const v = a.variant;
      const row = { tps: Math.round(med(v, "tps")), cpu_us_per_txn: round1(med(v, "cpuUsPerTxn")), user_us_per_txn: round1(med(v, "userUsPerTxn")), kernel_us_per_txn: round1(med(v, "systemUsPerTxn")) };
      // Ratios per round, then their median: the rounds share the machine's state, so the pairs are steadier.
      const tpsRatio = median(runs.get(v)!.map((x, i) => x.tps / runs.get(first)![i]!.tps));
      console.log(`  ${v.padEnd(20)} ${String(row.tps).padStart(7)} tps  CPU ${row.cpu_us_per_txn} µs/txn (user ${row.user_us_per_txn}, kernel ${row.kernel_us_per_txn})  tps vs ${first}: ${tpsRatio.toFixed(3)}`);
      summary[v] = { ...row, tps_vs_first: Math.round(tpsRatio * 1000) / 1000 };
    }
    console.log(JSON.stringify(summary));
  } finally {
    // The agents go first: a console gone before them makes them log failed polls.
    await Promise.all(agents.map((a) => new Promise((resolve) => (a.child.exitCode !== null ? resolve(null) : (a.child.once("exit", resolve), a.child.kill("SIGTERM"))))));
    for (const s of stubs) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
