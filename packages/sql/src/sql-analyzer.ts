import { AnalysisCache, type Entry } from "./analysis-cache";
import { analyzeTree, failedAnalysis } from "./analyze-tree";
import { literalShapeKey, ShapeTemplate } from "./literal-key";
import type { RecentShape } from "./recent-shape";
import { matchTexts, statementRanges } from "./match-text";
import type { ParserBackend } from "./native-parser";
import { type ParseTree, PgParser } from "./pg-parser";
import type { SqlAnalyzer, StatementAnalysis } from "./types";

/**
 * `error` starts with this when dbmesh could not analyze a text that PostgreSQL might still accept
 * (nested too deeply for the WASM parser, or the parser was restarting). The agent must not forward
 * such a statement on trust: its tables are unknown. Answer it with SQLSTATE 54001 (statement_too_complex).
 */
export const ANALYZER_FAILURE_PREFIX = "dbmesh could not analyze this statement: ";

export function isAnalyzerFailure(analysis: StatementAnalysis): boolean {
  return analysis.error !== null && analysis.error.startsWith(ANALYZER_FAILURE_PREFIX);
}

const EMPTY_QUERY = analyzeTree({ version: 0, stmts: [] });

interface Uncached {
  analysis: StatementAnalysis;
  cacheable: boolean;
  tree: ParseTree | null;
}

class CachedSqlAnalyzer implements SqlAnalyzer {
  /** By exact text. */
  private readonly cache: AnalysisCache;
  /** By literal shape (see literal-key.ts): texts that differ only in literal values share an entry. */
  private readonly shapes: AnalysisCache;
  /** Offsets of the literals of the text being analyzed; reused, analyze() never re-enters. */
  private readonly literalOffsets: number[] = [];

  constructor(
    readonly parser: PgParser,
    cacheEntries: number,
    private readonly maxCachedSqlLength: number,
  ) {
    this.cache = new AnalysisCache(cacheEntries);
    this.shapes = new AnalysisCache(cacheEntries);
  }

  get cacheSize(): number {
    return this.cache.size + this.shapes.size;
  }

  get parserBackend(): ParserBackend {
    return this.parser.backend;
  }

  analyze(sql: string, recent?: RecentShape): StatementAnalysis {
    if (sql.length > this.maxCachedSqlLength) return this.analyzeUncached(sql).analysis;
    // A client that sends one statement again with new literals (pgbench -M simple, clients that inline values)
    // is answered by its recent shape: the text compared with the shape's, each literal scanned. That is half of
    // what the shape key (a string built, then hashed by the lookup) costs for pgbench's SELECT, and it comes
    // before the exact text's lookup, whose hash of a text never seen again was the rest (perf: ~0.15 µs a
    // statement). A text of another shape costs a compare, usually over its first few characters.
    // The answer is the one the lookups would give: texts of one key are all stored by shape or none is (the
    // checks below depend on the tree's structure, never on a literal's value), so a text matching a shape's
    // template is never stored by exact text with an analysis of its own.
    if (recent !== undefined && recent.template !== null && recent.template.matches(sql)) {
      const entry = recent.entry as Entry;
      entry.hot = true;
      return entry.analysis;
    }
    // Then the exact text: one hash and lookup, where the shape key is a scan that builds a string
    // (measured ~1.8 µs for a 215-character join, against ~0.2 µs for the lookup). Texts without
    // literals — every prepared statement — hit here, and so do texts with literals once they repeat
    // (shapeHit); other texts with literals pay this miss before their shape hit.
    const hit = this.cache.get(sql);
    if (hit !== undefined) return hit;
    const shape = literalShapeKey(sql, this.literalOffsets);
    if (shape !== null) {
      const entry = this.shapes.entry(shape);
      if (entry !== undefined) {
        if (recent !== undefined) this.remember(recent, sql, entry);
        return this.shapeHit(entry, sql);
      }
    }
    const { analysis, cacheable, tree } = this.analyzeUncached(sql);
    if (!cacheable) return analysis;
    // Texts stored by shape are not stored by text as well (until they repeat, above): one-off literals would
    // only evict useful entries.
    if (shape !== null && tree !== null && analysis.error === null && !analysis.literalSensitive && literalsAreConstants(tree, this.literalOffsets)) {
      const entry = this.shapes.set(shape, analysis, sql);
      if (recent !== undefined && entry !== undefined) this.remember(recent, sql, entry);
    } else {
      this.cache.set(sql, analysis);
    }
    return analysis;
  }

  private shapeHit(entry: Entry, sql: string): StatementAnalysis {
    // A text seen again among the last two of its shape (constants written in the code: `LIMIT 50`,
    // `status = 'paid'`) is stored by exact text too, so that from then on it skips the shape scan (~1-3 µs).
    // Two, not one: the same shape is often used with constants and with one-off values in turn (`LIMIT 50`
    // from one code path, `LIMIT $n` inlined by another). A text with one-off literals never gets there.
    if (entry.lastText === sql || entry.previousText === sql) this.cache.set(sql, entry.analysis);
    else {
      entry.previousText = entry.lastText;
      entry.lastText = sql;
    }
    return entry.analysis;
  }

  /** Makes `entry` (by the shape of `sql`, its literals at this.literalOffsets) the caller's recent shape. */
  private remember(recent: RecentShape, sql: string, entry: Entry): void {
    if (entry.template === null) entry.template = ShapeTemplate.of(sql, this.literalOffsets);
    recent.template = entry.template;
    recent.entry = entry;
  }

  private analyzeUncached(sql: string): Uncached {
    // libpg-query refuses a blank text; PostgreSQL answers it with EmptyQueryResponse.
    if (sql.trim() === "") return { analysis: EMPTY_QUERY, cacheable: true, tree: null };
    const outcome = this.parser.parse(sql, true);
    if (outcome.ok) {
      try {
        // The match texts cost a scan of the text (5–25 µs): computed on first read, and most analyses are
        // never read for them. The closure keeps the text and the statements' offsets, not the tree.
        const bounds = (outcome.tree.stmts ?? []).map(({ stmt_location, stmt_len }) => ({ stmt_location, stmt_len }));
        const texts = () => matchTexts(sql, statementRanges(sql, bounds));
        return { analysis: analyzeTree(outcome.tree, texts), cacheable: true, tree: outcome.tree };
      } catch (err) {
        // Nothing should get here (the walk keeps its own stack); if something does, fail closed.
        return { analysis: failedAnalysis(ANALYZER_FAILURE_PREFIX + String(err)), cacheable: true, tree: null };
      }
    }
    if (outcome.reason === "syntax") return { analysis: failedAnalysis(outcome.message), cacheable: true, tree: null };
    // A text too deep to parse stays too deep: remember it, so that sending it again costs no new parser
    // instance. "unavailable" is transient: do not remember it.
    return {
      analysis: failedAnalysis(ANALYZER_FAILURE_PREFIX + outcome.message),
      cacheable: outcome.reason === "too_complex",
      tree: null,
    };
  }
}

/**
 * True when each literal at `offsets` became a plain constant (an A_Const at that location) in the tree. Only
 * then is the analysis independent of the literals' values, so that it may be shared by shape: a literal
 * the grammar takes as an option value (`EXPLAIN (ANALYZE 0)`), a name, a count (`FETCH 5`), a number folded
 * with its sign (`-1`) or a string continued on the next line has no A_Const of its own at its offset.
 */
function literalsAreConstants(tree: ParseTree, offsets: readonly number[]): boolean {
  const locations = new Set<number>();
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== "object" || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === "object" && item !== null) stack.push(item);
      continue;
    }
    const node = value as Record<string, unknown>;
    for (const key in node) {
      const child = node[key];
      if (typeof child !== "object" || child === null) continue;
      // libpg-query leaves out fields at their default: no location means 0.
      if (key === "A_Const") locations.add(((child as { location?: number }).location ?? 0) as number);
      else stack.push(child);
    }
  }
  for (const offset of offsets) if (!locations.has(offset)) return false;
  return true;
}

/**
 * Loads PostgreSQL's parser (native, or WASM in ~10 ms) and returns a synchronous analyzer with LRU-like caches by exact
 * statement text and by literal shape (texts that differ only in literal values), each of `cacheEntries`.
 * Texts longer than `maxCachedSqlLength` are analyzed every time, never cached.
 */
export async function loadSqlAnalyzer(opts?: {
  cacheEntries?: number;
  maxCachedSqlLength?: number;
  /** Which build of PostgreSQL's parser (native-parser.ts); by default DBMESH_SQL_PARSER, else the native one when built. */
  parser?: ParserBackend | "auto";
}): Promise<SqlAnalyzer> {
  const parser = await PgParser.load({ backend: opts?.parser });
  return new CachedSqlAnalyzer(parser, opts?.cacheEntries ?? 10_000, opts?.maxCachedSqlLength ?? 8192);
}
