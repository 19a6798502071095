import { createRequire } from "node:module";

// PostgreSQL's parser as a native addon (packages/sql/native, built by `npm run build:native -w @dbmesh/sql`,
// which scripts/prepare.sh runs). It returns the same JSON as the WASM build (pruned in C to the same bytes as
// tree-prune.ts's regex) in about half the time; the WASM build stays as the fallback where the addon could not
// be built, and for long texts (below).

const require = createRequire(import.meta.url);

/** A syntax error as PostgreSQL reports it; `cursor` is 1-based into the text, 0 when unknown. */
export interface NativeSyntaxError {
  message: string;
  cursor: number;
}

export interface NativeParserAddon {
  /**
   * libpg_query's JSON parse tree, or the syntax error. Throws only if the parser itself fails. `prune`: with
   * the inert nodes cut out in C, exactly as pruneInertNodes (tree-prune.ts) would.
   */
  parse(sql: string, prune?: boolean): string | NativeSyntaxError;
}

/**
 * Texts longer than this go to the WASM parser. libpg_query writes its JSON by recursion on the C stack, with
 * no depth check, and a statement can nest one level per ~2 characters (`1+1+1…` is a left-deep tree): past
 * the thread's stack that is a segfault, which would take the whole agent down. 16 K characters nest at most
 * ~8,000 levels, which the parser and writer handle within 2 MB of stack (native-parser.test.ts runs the
 * deepest shapes we know at this length); Node's main thread has 8 MB. The WASM build catches its overflow
 * instead (pg-parser.ts), and statements this long are rare: the analysis cache does not even keep them.
 */
export const NATIVE_MAX_CHARS = 16_384;

export type ParserBackend = "native" | "wasm";

/** DBMESH_SQL_PARSER: `native` requires the addon, `wasm` never loads it; unset takes the addon when built. */
export function requestedParserBackend(env: NodeJS.ProcessEnv = process.env): ParserBackend | "auto" {
  const value = env.DBMESH_SQL_PARSER?.trim().toLowerCase() ?? "";
  if (value === "" || value === "auto") return "auto";
  if (value === "native" || value === "wasm") return value;
  throw new Error(`DBMESH_SQL_PARSER must be native, wasm or auto, not ${JSON.stringify(env.DBMESH_SQL_PARSER)}`);
}

let loaded: { addon: NativeParserAddon | null; reason: string } | null = null;

/** The addon, or null with the reason it is not available. Loaded once per process. */
export function loadNativeParser(): { addon: NativeParserAddon | null; reason: string } {
  loaded ??= (() => {
    let path: string;
    try {
      // Resolved at run time through the workspace package, never bundled: the console (Next) imports this
      // module for "try a statement", and its bundler cannot load a .node file.
      path = require.resolve(/* turbopackIgnore: true */ "@dbmesh/sql/native-addon");
    } catch {
      return { addon: null, reason: "the native parser is not built (npm run build:native -w @dbmesh/sql)" };
    }
    try {
      return { addon: require(/* turbopackIgnore: true */ path) as NativeParserAddon, reason: "" };
    } catch (err) {
      return { addon: null, reason: `the native parser did not load: ${err instanceof Error ? err.message : String(err)}` };
    }
  })();
  return loaded;
}
