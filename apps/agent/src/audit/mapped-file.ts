import { createRequire } from "node:module";

// The addon behind memory-mapped spool segments (apps/agent/native/mapped_file.c, built by
// `node apps/agent/native/build.mjs`, which scripts/prepare.sh runs). Without it the spool appends with write(2).

export interface MappedFileAddon {
  /** Reserves [0, length) of the file on disk (posix_fallocate), then maps it read-write, shared. Throws ENOSPC and the like. */
  map(fd: number, length: number): ArrayBuffer;
  /** Unmaps it and detaches the ArrayBuffer (every view becomes empty). Idempotent. */
  unmap(mapping: ArrayBuffer): void;
  /** Faults [offset, offset + length) in writable with one system call (MADV_POPULATE_WRITE), best effort. */
  populate(mapping: ArrayBuffer, offset: number, length: number): void;
}

/** DBMESH_AGENT_AUDIT_SPOOL: `mmap` requires the addon, `write` never loads it, `auto` takes the addon when built. */
export type SpoolWriteMode = "auto" | "mmap" | "write";

let loaded: { addon: MappedFileAddon | null; reason: string } | null = null;

/** The addon, or null with the reason it is not available. Loaded once per process. */
export function loadMappedFile(): { addon: MappedFileAddon | null; reason: string } {
  loaded ??= (() => {
    const require = createRequire(import.meta.url);
    try {
      return { addon: require("../../native/build/Release/mapped_file.node") as MappedFileAddon, reason: "" };
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND";
      return {
        addon: null,
        reason: missing
          ? "memory-mapped spool segments are not built (node apps/agent/native/build.mjs)"
          : `the memory-mapped spool addon did not load: ${(err as Error).message}`,
      };
    }
  })();
  return loaded;
}

/** The addon for the spool, or null for write(2); throws when `mmap` is asked for and cannot be had. */
export function spoolMappedFile(mode: SpoolWriteMode): MappedFileAddon | null {
  if (mode === "write") return null;
  const { addon, reason } = loadMappedFile();
  if (addon === null && mode === "mmap") throw new Error(`DBMESH_AGENT_AUDIT_SPOOL=mmap: ${reason}`);
  return addon;
}
