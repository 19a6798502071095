import { execFile, execFileSync, spawn } from "node:child_process";
import { accessSync, appendFileSync, chownSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

// Two throwaway PostgreSQL 15 servers, a primary and a hot-standby streaming replica of it (pg_basebackup -R),
// for tests that need to tell "ran on the primary" from "ran on a replica" for real: pg_is_in_recovery() and
// the port say where a statement ran, and a write on the replica fails as it would in production.
//
// Everything lives in one temp directory owned by the postgres user (PostgreSQL refuses to run as root, so the
// servers run via `runuser -u postgres`). The system cluster on 127.0.0.1:5432 is never touched. Start-up takes
// 2–3 s (initdb, primary, base backup with a fast checkpoint, replica, a row seen streaming across).
// `destroy()` stops both servers (immediate) and removes the directory. Should the test process die without
// calling it (a crash, a worker killed by vitest on timeout), a small watchdog shell started with the pair does
// the same once that process is gone, so no server outlives its test run.

const BIN = "/usr/lib/postgresql/15/bin";
const TOOLS = ["initdb", "pg_ctl", "pg_basebackup", "postgres"];

/** Why a replica pair cannot be started here, or null when it can. */
export function replicaPairUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root (to run PostgreSQL as the postgres user)";
  try {
    execFileSync("id", ["-u", "postgres"], { stdio: "ignore" });
  } catch {
    return "no postgres system user";
  }
  for (const tool of TOOLS) {
    try {
      accessSync(join(BIN, tool), constants.X_OK);
    } catch {
      return `no ${join(BIN, tool)} (PostgreSQL 15 server binaries)`;
    }
  }
  try {
    accessSync("/usr/sbin/runuser", constants.X_OK);
  } catch {
    try {
      accessSync("/sbin/runuser", constants.X_OK);
    } catch {
      return "no runuser";
    }
  }
  return null;
}

export type ServerRole = "primary" | "replica";

export interface PairServer {
  readonly role: ServerRole;
  readonly port: number;
  readonly dataDir: string;
  /** Runs one statement as the superuser over TCP, on a fresh connection (to `database` unless told otherwise). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<pg.QueryResult<R>>;
  /** pg_ctl stop (fast by default: sessions are terminated, as when a replica goes away). Waits until it is down. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** pg_ctl start; waits until it accepts connections (for the replica: read-only, in recovery). */
  start(): Promise<void>;
  /** The server log's last lines, for error messages. */
  logTail(lines?: number): string;
}

export interface ReplicaPair {
  readonly primary: PairServer;
  readonly replica: PairServer;
  /** The database created on the primary before the base backup (so it exists on both). */
  readonly database: string;
  /** Waits until the replica has replayed everything the primary had written when this was called. */
  waitForReplay(timeoutMs?: number): Promise<void>;
  /** Stops both servers (immediate) and removes their directory. Idempotent; never throws. */
  destroy(): void;
}

async function freePort(avoid: number[] = []): Promise<number> {
  for (;;) {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    if (!avoid.includes(port)) return port;
  }
}

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("runuser", ["-u", "postgres", "--", join(BIN, cmd), ...args], { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout);
      else reject(new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${stderr}`));
    });
  });
}

async function poll(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      if (await check()) return;
      lastError = null;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

class Server implements PairServer {
  readonly logFile: string;

  constructor(
    readonly role: ServerRole,
    readonly port: number,
    readonly dataDir: string,
    private readonly root: string,
    private readonly database: string,
  ) {
    this.logFile = join(root, `${role}.log`);
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<pg.QueryResult<R>> {
    const client = new pg.Client({ host: "127.0.0.1", port: this.port, user: "postgres", database: database ?? this.database });
    client.on("error", () => {});
    await client.connect();
    try {
      return await client.query<R>(sql, params);
    } finally {
      await client.end().catch(() => {});
    }
  }

  async start(): Promise<void> {
    try {
      await run("pg_ctl", ["-D", this.dataDir, "-l", this.logFile, "-w", "-t", "30", "-o", `-p ${this.port}`, "start"], this.root);
    } catch (err) {
      throw new Error(`starting the ${this.role} failed: ${(err as Error).message}\n--- ${this.role} log ---\n${this.logTail()}`);
    }
  }

  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    await run("pg_ctl", ["-D", this.dataDir, "-m", mode, "-w", "-t", "30", "stop"], this.root);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** Synchronous, for teardown and process exit: immediate stop, else SIGKILL of the postmaster we started. */
  kill(): void {
    const pidFile = join(this.dataDir, "postmaster.pid");
    if (!existsSync(pidFile)) return;
    try {
      execFileSync("runuser", ["-u", "postgres", "--", join(BIN, "pg_ctl"), "-D", this.dataDir, "-m", "immediate", "-w", "-t", "10", "stop"], {
        cwd: this.root,
        stdio: "ignore",
        timeout: 15_000,
      });
      return;
    } catch {
      // fall through: kill the postmaster named in its own pid file
    }
    try {
      const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
      if (Number.isInteger(pid) && pid > 1) process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * A detached `sh` that waits for this process to end, then stops the servers (immediate) and removes `root`.
 * destroy() kills it first when the test cleans up after itself. Returns its pid.
 */
function startWatchdog(root: string, dataDirs: string[]): number | undefined {
  const stops = dataDirs.map((d) => `runuser -u postgres -- "$BIN/pg_ctl" -D "${d}" -m immediate -w -t 10 stop`).join("; ");
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${stops}; rm -rf "${root}"`;
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore", env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", BIN } });
  child.on("error", () => {});
  child.unref();
  return child.pid;
}

const SAFE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Starts a primary (initdb, wal_level=replica, replication allowed from 127.0.0.1) and a streaming hot standby
 * of it on two free ports. Resolves once the replica is in recovery, the primary reports it streaming, and a row
 * written on the primary has been seen on the replica. On any failure everything started is torn down.
 */
export async function startReplicaPair(opts: { database?: string } = {}): Promise<ReplicaPair> {
  const database = opts.database ?? "app";
  if (!SAFE_NAME.test(database)) throw new Error(`database name ${JSON.stringify(database)} is not a plain identifier`);
  const root = mkdtempSync(join(tmpdir(), "dbmesh-agent-replica-"));
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  chownSync(root, uid, gid);

  const primaryPort = await freePort();
  const replicaPort = await freePort([primaryPort]);
  const primary = new Server("primary", primaryPort, join(root, "primary"), root, database);
  const replica = new Server("replica", replicaPort, join(root, "replica"), root, database);

  const watchdog = startWatchdog(root, [replica.dataDir, primary.dataDir]);
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    replica.kill();
    primary.kill();
    rmSync(root, { recursive: true, force: true });
    try {
      if (watchdog !== undefined) process.kill(watchdog, "SIGKILL");
    } catch {
      // already gone
    }
  };

  try {
    await run("initdb", ["-D", primary.dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"], root);
    // Both files are copied to the replica by the base backup; the port is given on each command line.
    writeFileSync(
      join(primary.dataDir, "pg_hba.conf"),
      ["local all all trust", "host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust", ""].join("\n"),
    );
    appendFileSync(
      join(primary.dataDir, "postgresql.conf"),
      [
        "",
        "# dbmesh replica-pair test settings",
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${root}'`,
        "wal_level = replica",
        "max_wal_senders = 5",
        "wal_keep_size = '256MB'", // a stopped and restarted replica catches up without a slot
        "hot_standby = on",
        "fsync = off",
        "max_connections = 60",
        "shared_buffers = '32MB'",
        "wal_receiver_status_interval = '1s'",
        "",
      ].join("\n"),
    );
    await primary.start();
    await primary.query(`CREATE DATABASE ${database}`, [], "postgres");

    await run(
      "pg_basebackup",
      ["-h", "127.0.0.1", "-p", String(primaryPort), "-U", "postgres", "-D", replica.dataDir, "-R", "-X", "stream", "-c", "fast", "--no-sync"],
      root,
    );
    await replica.start();

    await poll("the replica to be in recovery", 15_000, async () => (await replica.query("SELECT pg_is_in_recovery() AS r")).rows[0]?.r === true);
    await poll(
      "the primary to report a streaming standby",
      15_000,
      async () => (await primary.query("SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'")).rows[0]?.n >= 1,
    );
    const token = `probe-${process.pid}-${Date.now()}`;
    await primary.query("CREATE TABLE dbmesh_replica_probe (token text)", [], "postgres");
    await primary.query("INSERT INTO dbmesh_replica_probe VALUES ($1)", [token], "postgres");
    await poll(
      "a row written on the primary to reach the replica",
      15_000,
      async () => (await replica.query("SELECT 1 FROM dbmesh_replica_probe WHERE token = $1", [token], "postgres")).rowCount === 1,
    );
  } catch (err) {
    const logs = `--- primary log ---\n${primary.logTail()}\n--- replica log ---\n${replica.logTail()}`;
    destroy();
    throw new Error(`could not start the replica pair: ${(err as Error).message}\n${logs}`);
  }

  return {
    primary,
    replica,
    database,
    waitForReplay: async (timeoutMs = 10_000) => {
      const lsn = (await primary.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn")).rows[0]!.lsn;
      await poll(
        `the replica to replay up to ${lsn}`,
        timeoutMs,
        async () =>
          (await replica.query<{ ok: boolean }>("SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS ok", [lsn])).rows[0]!.ok,
      );
    },
    destroy,
  };
}
