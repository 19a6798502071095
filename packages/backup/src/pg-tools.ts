// pg_dump / pg_restore as child processes. Connection settings, the password above all, travel in
// the child's environment only (PGHOST, PGPASSWORD …): never on a command line (visible in `ps`)
// and never in a log.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const execFileP = promisify(execFile);

export interface PgConnection {
  host: string;
  port: number;
  user: string;
  password: string | null;
  database: string;
}

export interface PgToolsOptions {
  /** Directory holding pg_dump and pg_restore; empty = found on PATH. */
  binDir?: string;
}

export function toolPath(tool: "pg_dump" | "pg_restore", opts: PgToolsOptions = {}): string {
  return opts.binDir ? join(opts.binDir, tool) : tool;
}

/** The child's environment: ours minus any PG* variable, plus the connection. */
export function childEnv(conn: PgConnection, appName: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("PG")) delete env[k];
  env.PGHOST = conn.host;
  env.PGPORT = String(conn.port);
  env.PGUSER = conn.user;
  env.PGDATABASE = conn.database;
  env.PGAPPNAME = appName;
  env.PGCONNECT_TIMEOUT = "10";
  if (conn.password !== null) env.PGPASSWORD = conn.password;
  return env;
}

export function describeConnection(conn: Pick<PgConnection, "host" | "port" | "database">): string {
  return `${conn.host}:${conn.port}/${conn.database}`;
}

export interface Version {
  major: number;
  minor: number;
  text: string;
}

export function parseToolVersion(output: string): Version {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(output);
  if (!m) throw new Error(`cannot read a version from "${output.trim()}"`);
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), text: `${m[1]}${m[2] ? `.${m[2]}` : ""}` };
}

export async function toolVersion(tool: "pg_dump" | "pg_restore", opts: PgToolsOptions = {}): Promise<Version> {
  try {
    const { stdout } = await execFileP(toolPath(tool, opts), ["--version"]);
    return parseToolVersion(stdout);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`${tool} was not found${opts.binDir ? ` in ${opts.binDir}` : " on PATH"}: install postgresql-client or set DBMESH_PG_BIN_DIR`);
    }
    throw err;
  }
}

export function pgClient(conn: PgConnection, appName: string, database = conn.database): pg.Client {
  return new pg.Client({
    host: conn.host,
    port: conn.port,
    user: conn.user,
    password: conn.password ?? undefined,
    database,
    application_name: appName,
    connectionTimeoutMillis: 10_000,
  });
}

export async function connect(conn: PgConnection, appName: string, database = conn.database): Promise<pg.Client> {
  const client = pgClient(conn, appName, database);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw new Error(`cannot connect to ${describeConnection({ ...conn, database })}: ${(err as Error).message}`);
  }
  return client;
}

export async function serverVersion(client: pg.Client): Promise<Version> {
  const { rows } = await client.query<{ v: string; n: string }>("SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n");
  const num = Number(rows[0]?.n ?? 0);
  return { major: Math.floor(num / 10000), minor: num % 10000, text: rows[0]?.v.split(" ")[0] ?? String(num) };
}

/**
 * pg_dump and pg_restore refuse (or worse, misread) a server newer than themselves: say so before
 * starting, with what to do.
 */
export function checkToolVersion(tool: "pg_dump" | "pg_restore", toolV: Version, server: Version, where: string): void {
  if (toolV.major < server.major) {
    throw new Error(
      `${tool} ${toolV.text} is older than the server at ${where} (PostgreSQL ${server.text}): ${tool} must be version ${server.major} or newer. ` +
        `Install postgresql-client-${server.major} on the worker's machine, or point DBMESH_PG_BIN_DIR at its bin directory.`,
    );
  }
}

/** Keeps the last `max` characters of a process's stderr, for the run's log tail. */
export class LogTail {
  private text = "";
  constructor(private readonly max = 8_000) {}
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.max * 2) this.text = this.text.slice(-this.max);
  }
  toString(): string {
    return this.text.length > this.max ? this.text.slice(-this.max) : this.text;
  }
}

export function spawnTool(
  tool: "pg_dump" | "pg_restore",
  args: string[],
  conn: PgConnection,
  opts: PgToolsOptions & { appName: string; log: LogTail; stdout?: "pipe" | "ignore" },
): ChildProcess {
  const child = spawn(toolPath(tool, opts), args, {
    env: childEnv(conn, opts.appName),
    stdio: ["ignore", opts.stdout ?? "pipe", "pipe"],
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d: string) => opts.log.push(d));
  return child;
}

export function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
