// One backup: pg_dump -Fc streamed into a storage writer, hashed (SHA-256) on the way, fsynced and
// moved into place only after pg_dump exited 0. The worker's job and the benchmark both run this.
import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { countTables, type Manifest } from "./manifest";
import { checkToolVersion, connect, describeConnection, LogTail, serverVersion, spawnTool, toolVersion, waitForExit, type PgConnection, type PgToolsOptions } from "./pg-tools";
import type { BackupStorage } from "./storage";

export interface DumpOptions extends PgToolsOptions {
  conn: PgConnection;
  storage: BackupStorage;
  key: string;
  /** Distinguishes this attempt's temporary file from another's. */
  tempTag: string;
  /** Called with the bytes written so far, at most every `progressEveryMs`. */
  onProgress?: (bytes: number) => void;
  progressEveryMs?: number;
  /**
   * Called just before the file is moved into place; throwing aborts (the worker checks its fence
   * here). May return a value that commitDump passes through.
   */
  beforeCommit?: (result: DumpResult, commit: () => Promise<void>) => Promise<void>;
  signal?: AbortSignal;
  /** Capture the manifest (table row counts from the dump's own snapshot). Default true. */
  manifest?: boolean;
  /** Dump only these schemas (pg_dump `--schema`); empty or absent: the whole database. */
  schemas?: string[];
  log?: LogTail;
}

export interface DumpResult {
  key: string;
  sizeBytes: number;
  sha256: string;
  serverVersion: string;
  toolVersion: string;
  manifest: Manifest | null;
  logTail: string;
}

export class DumpError extends Error {
  constructor(
    message: string,
    readonly logTail: string,
    /** Retrying cannot help (tool too old, bad credentials). */
    readonly permanent = false,
  ) {
    super(message);
    this.name = "DumpError";
  }
}

export async function dumpToStorage(opts: DumpOptions): Promise<DumpResult> {
  const log = opts.log ?? new LogTail();
  const where = describeConnection(opts.conn);
  const toolV = await toolVersion("pg_dump", opts);
  let client;
  try {
    client = await connect(opts.conn, "dbmesh-backup-manifest");
  } catch (err) {
    const msg = (err as Error).message;
    throw new DumpError(msg, log.toString(), /password authentication failed|does not exist|no pg_hba.conf entry/.test(msg));
  }
  let writer: Awaited<ReturnType<BackupStorage["createWriter"]>> | undefined;
  try {
    const server = await serverVersion(client);
    try {
      checkToolVersion("pg_dump", toolV, server, where);
    } catch (err) {
      throw new DumpError((err as Error).message, log.toString(), true);
    }
    // One snapshot for the manifest and the dump: the counts describe exactly what was dumped.
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    // The counts run beside pg_dump on the same cores: prefer index-only scans (a primary key is
    // far smaller than its heap; measured here about half the CPU of a seq scan) on one core.
    await client.query("SET LOCAL enable_seqscan = off; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off");
    const snap = await client.query<{ id: string }>("SELECT pg_export_snapshot() AS id");
    const snapshot = snap.rows[0]?.id;
    if (!snapshot) throw new Error("could not export a snapshot");

    writer = await opts.storage.createWriter(opts.key, opts.tempTag);
    // `--schema=` (pg_dump -n) takes a pattern: quoted, so the name is taken literally.
    const only = (opts.schemas ?? []).map((s) => `--schema="${s.replace(/"/g, '""')}"`);
    const child = spawnTool("pg_dump", ["--format=custom", "--no-password", `--snapshot=${snapshot}`, ...only], opts.conn, {
      ...opts,
      appName: "dbmesh-backup",
      log,
    });
    const onAbort = () => child.kill("SIGTERM");
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    const hash = createHash("sha256");
    let bytes = 0;
    let lastProgress = 0;
    const every = opts.progressEveryMs ?? 1000;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        const now = Date.now();
        if (opts.onProgress && now - lastProgress >= every) {
          lastProgress = now;
          opts.onProgress(bytes);
        }
        cb(null, chunk);
      },
    });
    const exited = waitForExit(child);
    const counting = opts.manifest === false ? Promise.resolve(null) : countTables(client);
    if (!child.stdout) throw new Error("pg_dump has no stdout");
    const [piped, exit, tables] = await Promise.allSettled([pipeline(child.stdout, meter, writer.stream), exited, counting]);
    opts.signal?.removeEventListener("abort", onAbort);
    if (opts.signal?.aborted) throw new DumpError(`backup aborted: ${String(opts.signal.reason ?? "cancelled")}`, log.toString());
    if (exit.status === "rejected") throw new DumpError(`pg_dump could not run: ${(exit.reason as Error).message}`, log.toString());
    if (exit.value.code !== 0) {
      const why = exit.value.signal ? `was killed by ${exit.value.signal}` : `exited with code ${exit.value.code}`;
      const last = log.toString().trim().split("\n").filter(Boolean).pop();
      throw new DumpError(`pg_dump ${why} while dumping ${where}${last ? `: ${last}` : ""}`, log.toString());
    }
    if (piped.status === "rejected") throw new DumpError(`writing the backup to ${opts.storage.location} failed: ${(piped.reason as Error).message}`, log.toString());
    if (tables.status === "rejected") throw new DumpError(`counting rows for the manifest failed: ${(tables.reason as Error).message}`, log.toString());
    await client.query("COMMIT").catch(() => {});

    const result: DumpResult = {
      key: opts.key,
      sizeBytes: bytes,
      sha256: hash.digest("hex"),
      serverVersion: server.text,
      toolVersion: toolV.text,
      manifest: tables.value ? { capturedAt: new Date().toISOString(), tables: tables.value } : null,
      logTail: log.toString(),
    };
    opts.onProgress?.(bytes);
    const w = writer;
    if (opts.beforeCommit) await opts.beforeCommit(result, () => w.commit());
    else await w.commit();
    writer = undefined;
    return result;
  } finally {
    if (writer) await writer.abort();
    await client.end().catch(() => {});
  }
}
