// Reading a backup back: its checksum, its table of contents (pg_restore --list), and a full
// restore into a database checked against the backup's manifest. Verification and restores share
// this code, so a verified backup is one that was restored the same way a user would.
import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import { compareManifest, countTables, type Manifest, type ManifestComparison } from "./manifest";
import {
  checkToolVersion,
  connect,
  describeConnection,
  LogTail,
  quoteIdent,
  serverVersion,
  spawnTool,
  toolVersion,
  waitForExit,
  type PgConnection,
  type PgToolsOptions,
} from "./pg-tools";
import type { BackupStorage } from "./storage";

export class VerificationError extends Error {
  constructor(message: string, readonly logTail = "") {
    super(message);
    this.name = "VerificationError";
  }
}

export async function sha256Of(storage: BackupStorage, key: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(
    storage.read(key),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb();
      },
    }),
  );
  return hash.digest("hex");
}

/** Throws a VerificationError that says what is wrong when the file is missing or not what was written. */
export async function verifyChecksum(storage: BackupStorage, key: string, expected: string): Promise<void> {
  const size = await storage.size(key);
  if (size === null) throw new VerificationError(`backup file ${key} is missing from ${storage.location}`);
  const actual = await sha256Of(storage, key);
  if (actual !== expected) {
    throw new VerificationError(
      `checksum mismatch: ${key} in ${storage.location} has SHA-256 ${actual.slice(0, 16)}…, the backup recorded ${expected.slice(0, 16)}…: ` +
        "the file was changed or damaged after it was written; do not restore from it",
    );
  }
}

/** pg_restore --list: the archive's table of contents reads end to end. Returns the entry count. */
export async function verifyList(storage: BackupStorage, key: string, opts: PgToolsOptions = {}): Promise<number> {
  const log = new LogTail();
  const file = await storage.localPath(key);
  try {
    // --list reads no server, so no connection; an empty one keeps our PG* variables out.
    const child = spawnTool("pg_restore", ["--list", file.path], { host: "", port: 0, user: "", password: null, database: "" }, { ...opts, appName: "dbmesh-verify", log });
    let out = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (d: string) => (out += d));
    const exit = await waitForExit(child);
    if (exit.code !== 0) throw new VerificationError(`pg_restore --list could not read the backup: ${log.toString().trim() || `exit ${exit.code}`}`, log.toString());
    // The header counts every TOC entry, including those --list does not print (an empty
    // database's dump lists none, and is still a good backup).
    const m = /TOC Entries:\s*(\d+)/.exec(out);
    if (!m) throw new VerificationError("pg_restore --list did not recognise the file as a pg_dump archive", log.toString());
    return Number(m[1]);
  } finally {
    await file.release();
  }
}

export interface RestoreOptions extends PgToolsOptions {
  /** The target server; `database` is where to connect to run CREATE/DROP DATABASE. */
  conn: PgConnection;
  targetDatabase: string;
  storage: BackupStorage;
  key: string;
  sha256: string;
  manifest: Manifest | null;
  jobs?: number;
  log?: LogTail;
  signal?: AbortSignal;
}

export interface RestoreResult extends ManifestComparison {
  toolVersion: string;
  serverVersion: string;
  logTail: string;
}

/**
 * Checksum, then pg_restore into an existing (empty) database, then the manifest check. The
 * caller creates the database and decides what to do with it on failure.
 */
export async function restoreIntoDatabase(opts: RestoreOptions): Promise<RestoreResult> {
  const log = opts.log ?? new LogTail();
  const target = { ...opts.conn, database: opts.targetDatabase };
  const where = describeConnection(target);
  await verifyChecksum(opts.storage, opts.key, opts.sha256);
  const toolV = await toolVersion("pg_restore", opts);
  const client = await connect(opts.conn, "dbmesh-restore", opts.targetDatabase);
  try {
    const server = await serverVersion(client);
    checkToolVersion("pg_restore", toolV, server, where);
    const file = await opts.storage.localPath(opts.key);
    try {
      // --verbose: each step lands in the log tail, which the heartbeat publishes as progress.
      const args = ["--exit-on-error", "--verbose", "--no-password", `--dbname=${opts.targetDatabase}`];
      if ((opts.jobs ?? 1) > 1) args.push(`--jobs=${opts.jobs}`);
      args.push(file.path);
      const child = spawnTool("pg_restore", args, target, { ...opts, appName: "dbmesh-restore", log, stdout: "ignore" });
      const onAbort = () => child.kill("SIGTERM");
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      const exit = await waitForExit(child);
      opts.signal?.removeEventListener("abort", onAbort);
      if (exit.code !== 0) {
        const last = log.toString().trim().split("\n").filter(Boolean).slice(-2).join(" ");
        throw new VerificationError(`pg_restore into ${where} failed (${exit.signal ?? `exit ${exit.code}`})${last ? `: ${last}` : ""}`, log.toString());
      }
    } finally {
      await file.release();
    }
    const tables = await countTables(client);
    const cmp = opts.manifest ? compareManifest(opts.manifest, tables) : { ok: true, tables: tables.length, rows: tables.reduce((s, t) => s + t.rows, 0), problems: [] };
    return { ...cmp, toolVersion: toolV.text, serverVersion: server.text, logTail: log.toString() };
  } finally {
    await client.end().catch(() => {});
  }
}

/** CREATE DATABASE, marked with a comment naming its owner (a restore or a verification). */
export async function createDatabase(conn: PgConnection, name: string, owner: string): Promise<void> {
  const client = await connect(conn, "dbmesh-restore");
  try {
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    await client.query(`COMMENT ON DATABASE ${quoteIdent(name)} IS ${pgLiteral(owner)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The owner comment of a database, or undefined when it does not exist. */
export async function databaseOwnerMark(conn: PgConnection, name: string): Promise<string | null | undefined> {
  const client = await connect(conn, "dbmesh-restore");
  try {
    const { rows } = await client.query<{ c: string | null }>("SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1", [name]);
    return rows.length === 0 ? undefined : (rows[0]?.c ?? null);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function dropDatabase(conn: PgConnection, name: string): Promise<void> {
  const client = await connect(conn, "dbmesh-restore");
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } finally {
    await client.end().catch(() => {});
  }
}

function pgLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
