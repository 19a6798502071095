// Backup and restore against plain pg_dump / pg_restore, side by side in one run, on a generated
// database of about 1 GB (pgbench -i -s 70, made once and reused: BENCH_BACKUP_DB). "Ours" is the
// worker's own code path: dumpToStorage (pg_dump -Fc through the storage interface, SHA-256 while
// writing, fsync, rename) and restoreIntoDatabase (checksum first, pg_restore, then the manifest
// check of every table's row count). Both write to the same directory on the same disk.
// Prints the ratios last, as JSON (target: both ≤ 1.1).
//   npm run bench:backup            (BENCH_BACKUP_SCALE=10 for a quick ~150 MB run)
import { execFile, spawn } from "node:child_process";
import { mkdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { dumpToStorage, LocalDirectoryStorage, restoreIntoDatabase, type PgConnection } from "../packages/backup/src/index";

const execFileP = promisify(execFile);
const SERVER = new URL(process.env.TEST_DATABASE_SERVER_URL ?? "postgresql://postgres@127.0.0.1:5432");
const SCALE = Number(process.env.BENCH_BACKUP_SCALE ?? 70);
const DB = process.env.BENCH_BACKUP_DB ?? `dbmesh_bench_backup_s${SCALE}`;
const JOBS = Number(process.env.BENCH_RESTORE_JOBS ?? 2);
const DIR = resolve(process.env.BENCH_BACKUP_DIR ?? ".dbmesh/bench/backup");
const conn: PgConnection = {
  host: SERVER.hostname,
  port: Number(SERVER.port || 5432),
  user: decodeURIComponent(SERVER.username || "postgres"),
  password: SERVER.password ? decodeURIComponent(SERVER.password) : null,
  database: DB,
};
const MARK = `dbmesh bench: pgbench -i -s ${SCALE}`;

async function sql<T extends pg.QueryResultRow>(database: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ host: conn.host, port: conn.port, user: conn.user, password: conn.password ?? undefined, database });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PGHOST: conn.host, PGPORT: String(conn.port), PGUSER: conn.user, ...(conn.password ? { PGPASSWORD: conn.password } : {}), ...env } });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", rej);
    child.on("close", (code) => (code === 0 ? res() : rej(new Error(`${cmd} exited ${code}: ${err.slice(-500)}`))));
  });
}

async function timed(label: string, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  const s = (performance.now() - t0) / 1000;
  console.log(`${label}: ${s.toFixed(2)} s`);
  return s;
}

async function ensureSource(): Promise<void> {
  const rows = await sql<{ c: string | null }>("postgres", "SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1", [DB]);
  if (rows[0]?.c === MARK) {
    console.log(`reusing ${DB}`);
    return;
  }
  console.log(`generating ${DB} (pgbench -i -s ${SCALE}, once)…`);
  await sql("postgres", `DROP DATABASE IF EXISTS "${DB}" WITH (FORCE)`);
  await sql("postgres", `CREATE DATABASE "${DB}"`);
  await timed("pgbench -i", () => run("pgbench", ["-i", "-q", "-s", String(SCALE), DB]));
  await sql("postgres", `COMMENT ON DATABASE "${DB}" IS '${MARK}'`);
}

const scratch: string[] = [];
async function freshDatabase(name: string): Promise<string> {
  await sql("postgres", `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await sql("postgres", `CREATE DATABASE "${name}"`);
  scratch.push(name);
  return name;
}

await ensureSource();
const dbBytes = Number((await sql<{ n: string }>(DB, "SELECT pg_database_size(current_database())::text AS n"))[0]?.n);
console.log(`source: ${(dbBytes / 2 ** 30).toFixed(2)} GiB; pg_dump: ${(await execFileP("pg_dump", ["--version"])).stdout.trim()}; files in ${DIR}`);
await rm(DIR, { recursive: true, force: true });
await mkdir(DIR, { recursive: true });
// Warm the cache the same for both: read every table once before timing anything.
await sql(DB, "SELECT (SELECT count(*) FROM pgbench_accounts) + (SELECT count(*) FROM pgbench_history) + (SELECT count(*) FROM pgbench_tellers)");

const storage = new LocalDirectoryStorage(DIR);
const plainFile = join(DIR, "plain.dump");
let ours!: Awaited<ReturnType<typeof dumpToStorage>>;
try {
  const pgDumpS = await timed("plain pg_dump -Fc -f", () => run("pg_dump", ["--format=custom", "--no-password", `--file=${plainFile}`, DB]));
  const oursS = await timed("ours (dumpToStorage: pipe, sha256, fsync, rename, manifest)", async () => {
    ours = await dumpToStorage({ conn, storage, key: "ours.dump", tempTag: "bench" });
  });
  const plainBytes = (await stat(plainFile)).size;

  const plainTarget = await freshDatabase(`${DB}_plain_restore`);
  const pgRestoreS = await timed(`plain pg_restore -j${JOBS}`, () => run("pg_restore", ["--exit-on-error", "--no-password", `--jobs=${JOBS}`, `--dbname=${plainTarget}`, plainFile]));
  const oursTarget = await freshDatabase(`${DB}_ours_restore`);
  let check!: Awaited<ReturnType<typeof restoreIntoDatabase>>;
  const oursRestoreS = await timed(`ours (restoreIntoDatabase: checksum, pg_restore -j${JOBS}, manifest check)`, async () => {
    check = await restoreIntoDatabase({ conn, targetDatabase: oursTarget, storage, key: ours.key, sha256: ours.sha256, manifest: ours.manifest, jobs: JOBS });
  });
  if (!check.ok) throw new Error(`our restore's final check failed: ${check.problems.join("; ")}`);

  const result = {
    backup_vs_pg_dump: Number((oursS / pgDumpS).toFixed(3)),
    restore_vs_pg_restore: Number((oursRestoreS / pgRestoreS).toFixed(3)),
    pg_dump_s: Number(pgDumpS.toFixed(2)),
    ours_backup_s: Number(oursS.toFixed(2)),
    pg_restore_s: Number(pgRestoreS.toFixed(2)),
    ours_restore_s: Number(oursRestoreS.toFixed(2)),
    database_bytes: dbBytes,
    dump_bytes_plain: plainBytes,
    dump_bytes_ours: ours.sizeBytes,
    restored_rows_checked: check.rows,
    restore_jobs: JOBS,
  };
  console.log(JSON.stringify(result));
} finally {
  for (const name of scratch) await sql("postgres", `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
  await rm(DIR, { recursive: true, force: true });
}
