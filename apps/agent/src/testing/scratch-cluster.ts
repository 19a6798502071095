import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A throwaway PostgreSQL cluster with its own pg_hba.conf, for what the shared server (trust only) cannot
// show: password, md5 and scram-sha-256 logins. initdb + start take about a second. Needs root (to run the
// server as the postgres user) and PostgreSQL 15's binaries.

const BIN = "/usr/lib/postgresql/15/bin";

export function canRunScratchCluster(): boolean {
  try {
    return process.getuid?.() === 0 && execFileSync("id", ["-u", "postgres"]).length > 0 && execFileSync("test", ["-x", `${BIN}/initdb`]) !== null;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface ScratchCluster {
  port: number;
  /** Runs SQL as the superuser (trust over the Unix socket). */
  sql(statement: string): string;
  stop(): void;
}

export async function startScratchCluster(hbaLines: string[]): Promise<ScratchCluster> {
  const dir = mkdtempSync(join(tmpdir(), "dbmesh-agent-pg-"));
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  chownSync(dir, uid, gid);
  const data = join(dir, "data");
  const asPostgres = (cmd: string, args: string[]) =>
    execFileSync("runuser", ["-u", "postgres", "--", `${BIN}/${cmd}`, ...args], { stdio: ["ignore", "pipe", "pipe"] }).toString();
  asPostgres("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  writeFileSync(join(data, "pg_hba.conf"), ["local all all trust", ...hbaLines].join("\n") + "\n");
  const port = await freePort();
  asPostgres("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"]);
  return {
    port,
    sql: (statement) => asPostgres("psql", ["-h", dir, "-p", String(port), "-U", "postgres", "-d", "postgres", "-XAtqc", statement]),
    stop: () => {
      try {
        asPostgres("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
