// Where backup files live, behind one interface so that S3-compatible storage can follow the local
// directory. A writer fills a temporary object and only `commit()` makes it visible under its key:
// a crash before that leaves a temp, which the next attempt (or `removeTemps`) deletes.
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import type { Readable, Writable } from "node:stream";

export interface BackupWriter {
  /** Bytes go here; end it (or let pipeline end it) before commit(). */
  readonly stream: Writable;
  /** Flushes to stable storage (fsync), then moves the object under its key, atomically. */
  commit(): Promise<void>;
  /** Removes the temporary object; harmless when it is already gone. */
  abort(): Promise<void>;
}

export interface BackupStorage {
  readonly kind: "local";
  /** Where this storage points, for logs and the console. */
  readonly location: string;
  createWriter(key: string, tempTag: string): Promise<BackupWriter>;
  /** A local file path tools like pg_restore can read (a remote storage would download it first). */
  localPath(key: string): Promise<{ path: string; release(): Promise<void> }>;
  read(key: string): Readable;
  size(key: string): Promise<number | null>;
  remove(key: string): Promise<void>;
  /** Removes the temporary objects of a key (every attempt's, or all but `keepTag`'s). */
  removeTemps(key: string, keepTag?: string): Promise<string[]>;
  /** Keys and temps under a prefix, for tests and cleanup. */
  list(prefix?: string): Promise<string[]>;
}

const TEMP_MARK = ".tmp-";

/** Keys are relative paths of safe segments: never absolute, never "..". */
export function assertSafeKey(key: string): void {
  if (!key || isAbsolute(key) || key.split("/").some((s) => s === "" || s === "." || s === ".." || s.includes(sep === "/" ? "\\" : "/"))) {
    throw new Error(`invalid storage key "${key}"`);
  }
}

export class LocalDirectoryStorage implements BackupStorage {
  readonly kind = "local" as const;
  readonly location: string;

  constructor(dir: string, baseDir: string = process.cwd()) {
    this.location = resolve(baseDir, dir);
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    return join(this.location, key);
  }

  async createWriter(key: string, tempTag: string): Promise<BackupWriter> {
    const finalPath = this.pathOf(key);
    const tempPath = `${finalPath}${TEMP_MARK}${tempTag}`;
    await mkdir(dirname(finalPath), { recursive: true });
    const stream = createWriteStream(tempPath, { flags: "w", mode: 0o600, highWaterMark: 1 << 20 });
    await once(stream, "open");
    return {
      stream,
      async commit() {
        if (!stream.closed) await once(stream, "close");
        // fsync works on the file, whichever descriptor asks: make the bytes durable before the rename.
        const file = await open(tempPath, "r");
        try {
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(tempPath, finalPath);
        // The rename itself must survive a power cut: fsync the directory entry too.
        const dir = await open(dirname(finalPath), "r");
        try {
          await dir.sync();
        } finally {
          await dir.close();
        }
      },
      async abort() {
        if (!stream.closed) {
          stream.destroy();
          await once(stream, "close").catch(() => {});
        }
        await rm(tempPath, { force: true });
      },
    };
  }

  async localPath(key: string) {
    return { path: this.pathOf(key), release: async () => {} };
  }

  read(key: string): Readable {
    return createReadStream(this.pathOf(key), { highWaterMark: 1 << 20 });
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async removeTemps(key: string, keepTag?: string): Promise<string[]> {
    const finalPath = this.pathOf(key);
    const dir = dirname(finalPath);
    const base = finalPath.slice(dir.length + 1);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const removed: string[] = [];
    for (const name of names) {
      if (!name.startsWith(`${base}${TEMP_MARK}`)) continue;
      if (keepTag !== undefined && name === `${base}${TEMP_MARK}${keepTag}`) continue;
      await rm(join(dir, name), { force: true });
      removed.push(name);
    }
    return removed;
  }

  async list(prefix = ""): Promise<string[]> {
    const root = prefix ? this.pathOf(prefix) : this.location;
    const out: string[] = [];
    const walk = async (dir: string) => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else out.push(p.slice(this.location.length + 1));
      }
    };
    await walk(root);
    return out.sort();
  }
}

export function isTempKey(key: string): boolean {
  return key.includes(TEMP_MARK);
}

/** The storage of a plan's target. Only local directories exist today. */
export function storageFor(target: { storageKind: string; storagePath: string }, baseDir?: string): BackupStorage {
  if (target.storageKind !== "local") throw new Error(`storage kind "${target.storageKind}" is not supported yet (only "local")`);
  return new LocalDirectoryStorage(target.storagePath, baseDir);
}
