import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  loadNativeParser,
  NATIVE_MAX_CHARS,
  type NativeParserAddon,
  type NativeSyntaxError,
  type ParserBackend,
  requestedParserBackend,
} from "./native-parser";
import { pruneInertNodes } from "./tree-prune";

// PostgreSQL's own parser, compiled to WASM by libpg-query. We drive the Emscripten module directly
// instead of libpg-query's `parseSync` for one reason: a statement nested deeply enough overflows the
// JS stack *inside* the WASM code (e.g. `SELECT a+a+…` with ~7,400 terms), and that leaves the
// module's shadow stack and PostgreSQL's globals (error handler, memory context) dangling. About 40
// such statements later every parse fails with "memory access out of bounds" or "table index is out
// of bounds", for the whole process. libpg-query keeps one module per process and cannot reload it,
// so we own our instances: after any failure that is not a syntax error the instance is thrown away
// and a warm spare takes over, while a new spare is built in the background.
//
// Where the native build of the same parser is available (native-parser.ts), it parses every text up to
// NATIVE_MAX_CHARS and the WASM instances only the longer ones.

const require = createRequire(import.meta.url);

/** The part of the Emscripten module that libpg-query's own `parseSync` uses. */
interface PgQueryWasm {
  _wasm_parse_query_raw(queryPtr: number): number;
  _wasm_free_parse_result(resultPtr: number): void;
  _malloc(size: number): number;
  _free(ptr: number): void;
  getValue(ptr: number, type: "i32"): number;
  UTF8ToString(ptr: number): string;
  HEAPU8: Uint8Array;
}

type ModuleFactory = (moduleArg?: {
  instantiateWasm?: (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) => object;
}) => Promise<PgQueryWasm>;

export interface ParseTree {
  version: number;
  stmts?: { stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[];
}

export type ParseOutcome =
  | { ok: true; tree: ParseTree }
  /**
   * syntax: PostgreSQL itself rejects the text. too_complex: the parser ran out of stack on it (PostgreSQL may
   * still accept it). unavailable: the parser failed or is restarting; the same text may parse a moment later.
   */
  | { ok: false; reason: "syntax" | "too_complex" | "unavailable"; message: string };

/** A module that grew this big (one huge statement) is replaced: WASM memory never shrinks. */
const MAX_HEAP_BYTES = 256 * 1024 * 1024;

let compiled: Promise<{ factory: ModuleFactory; wasm: WebAssembly.Module }> | null = null;

function compileOnce(): Promise<{ factory: ModuleFactory; wasm: WebAssembly.Module }> {
  compiled ??= (async () => {
    // Resolved at run time from node_modules, never bundled: Next's bundler (the console imports this
    // package for "try a statement") cannot follow the Emscripten loader's dynamic imports.
    const factory = require(/* turbopackIgnore: true */ "libpg-query/wasm/libpg-query.js") as ModuleFactory;
    const bytes = readFileSync(require.resolve(/* turbopackIgnore: true */ "libpg-query/wasm/libpg-query.wasm"));
    return { factory, wasm: await WebAssembly.compile(bytes) };
  })();
  return compiled;
}

async function instantiate(): Promise<PgQueryWasm> {
  const { factory, wasm } = await compileOnce();
  return factory({
    instantiateWasm(imports, done) {
      // Compiled once per process; a new instance (fresh memory and globals) takes ~3 ms.
      done(new WebAssembly.Instance(wasm, imports));
      return {};
    },
  });
}

export class PgParser {
  private current: PgQueryWasm | null;
  private spare: PgQueryWasm | null;
  private refilling: Promise<void> | null = null;
  /** How many instances were thrown away after a failure; for tests and metrics. */
  retired = 0;

  private constructor(
    current: PgQueryWasm,
    spare: PgQueryWasm,
    private readonly native: NativeParserAddon | null,
  ) {
    this.current = current;
    this.spare = spare;
  }

  /**
   * `backend`: `native` fails when the addon is not built, `wasm` never uses it, `auto` (the default, or
   * DBMESH_SQL_PARSER) takes it when it loads.
   */
  static async load(opts?: { backend?: ParserBackend | "auto" }): Promise<PgParser> {
    const wanted = opts?.backend ?? requestedParserBackend();
    let native: NativeParserAddon | null = null;
    if (wanted !== "wasm") {
      const { addon, reason } = loadNativeParser();
      if (addon === null && wanted === "native") throw new Error(`DBMESH_SQL_PARSER=native, but ${reason}`);
      native = addon;
    }
    const [current, spare] = await Promise.all([instantiate(), instantiate()]);
    return new PgParser(current, spare, native);
  }

  /** Which parser handles statements up to NATIVE_MAX_CHARS (longer ones always go to WASM). */
  get backend(): ParserBackend {
    return this.native === null ? "wasm" : "native";
  }

  /** Resolves once both the working instance and the spare exist again (tests use it). */
  async ready(): Promise<void> {
    while (this.current === null || this.spare === null) {
      this.refill();
      await this.refilling;
    }
  }

  /** `prune`: drop the nodes SQL analysis never reads (see tree-prune.ts); the linter wants the whole tree. */
  parse(sql: string, prune = false): ParseOutcome {
    if (this.native !== null && sql.length <= NATIVE_MAX_CHARS) return parseNative(this.native, sql, prune);
    const wasm = this.current;
    if (wasm === null) {
      this.refill();
      return { ok: false, reason: "unavailable", message: "the SQL parser is restarting after a failure; try again" };
    }
    let outcome: ParseOutcome;
    try {
      outcome = parseWith(wasm, sql, prune);
    } catch (err) {
      this.retire();
      return err instanceof RangeError
        ? { ok: false, reason: "too_complex", message: "the statement is nested too deeply to analyze" }
        : { ok: false, reason: "unavailable", message: `the SQL parser failed: ${String(err)}` };
    }
    if (wasm.HEAPU8.length > MAX_HEAP_BYTES) this.retire();
    return outcome;
  }

  private retire(): void {
    this.retired++;
    this.current = this.spare;
    this.spare = null;
    this.refill();
  }

  private refill(): void {
    if (this.refilling !== null) return;
    this.refilling = (async () => {
      try {
        while (this.current === null || this.spare === null) {
          const fresh = await instantiate();
          if (this.current === null) this.current = fresh;
          else this.spare = fresh;
        }
      } catch {
        // Out of memory or similar: the next parse() tries again.
      } finally {
        this.refilling = null;
      }
    })();
  }
}

function parseNative(native: NativeParserAddon, sql: string, prune: boolean): ParseOutcome {
  let result: string | NativeSyntaxError;
  try {
    result = native.parse(sql, prune);
  } catch (err) {
    // Not seen: the addon throws only for a tree longer than V8's longest string, or out of memory.
    return { ok: false, reason: "unavailable", message: `the SQL parser failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof result !== "string") return { ok: false, reason: "syntax", message: result.message };
  return { ok: true, tree: JSON.parse(result) as ParseTree };
}

/**
 * The NUL-terminated UTF-8 string at `ptr`. Emscripten's UTF8ToString finds the end with a JS loop over the
 * bytes: ~11 µs for a 7 KB tree, against ~3 µs for a native search and decode.
 */
function cString(heap: Uint8Array, ptr: number): string {
  const end = heap.indexOf(0, ptr);
  return Buffer.from(heap.buffer, heap.byteOffset + ptr, (end === -1 ? heap.length : end) - ptr).toString("utf8");
}

/**
 * libpg-query's parseSync, returning syntax errors instead of throwing them. Throws only when the module
 * itself fails; then nothing more is called on it (not even free): the caller throws the instance away.
 */
function parseWith(wasm: PgQueryWasm, sql: string, prune: boolean): ParseOutcome {
  // Encoded natively: Emscripten's lengthBytesUTF8 and stringToUTF8 are JS loops over the characters.
  const len = Buffer.byteLength(sql, "utf8") + 1;
  const queryPtr = wasm._malloc(len);
  const heap = wasm.HEAPU8; // read after _malloc, which may grow (and so replace) the heap
  const written = Buffer.from(heap.buffer, heap.byteOffset, heap.length).write(sql, queryPtr, "utf8");
  heap[queryPtr + written] = 0;
  const resultPtr = wasm._wasm_parse_query_raw(queryPtr);
  if (resultPtr === 0) throw new Error("the parser could not allocate its result");
  let outcome: ParseOutcome;
  // struct PgQueryParseResult { char* parse_tree; char* stderr_buffer; PgQueryError* error; }
  const treePtr = wasm.getValue(resultPtr, "i32");
  const errorPtr = wasm.getValue(resultPtr + 8, "i32");
  if (errorPtr !== 0) {
    // struct PgQueryError { char* message; … }
    const messagePtr = wasm.getValue(errorPtr, "i32");
    outcome = { ok: false, reason: "syntax", message: messagePtr ? wasm.UTF8ToString(messagePtr) : "syntax error" };
  } else if (treePtr === 0) {
    throw new Error("the parser returned no tree");
  } else {
    const json = cString(wasm.HEAPU8, treePtr);
    outcome = { ok: true, tree: JSON.parse(prune ? pruneInertNodes(json) : json) as ParseTree };
  }
  wasm._free(queryPtr);
  wasm._wasm_free_parse_result(resultPtr);
  return outcome;
}
