import { AnalysisCache } from "./analysis-cache";
import { analyzeTree, failedAnalysis } from "./analyze-tree";
import { PgParser } from "./pg-parser";
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

class CachedSqlAnalyzer implements SqlAnalyzer {
  private readonly cache: AnalysisCache;

  constructor(
    readonly parser: PgParser,
    cacheEntries: number,
    private readonly maxCachedSqlLength: number,
  ) {
    this.cache = new AnalysisCache(cacheEntries);
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  analyze(sql: string): StatementAnalysis {
    if (sql.length > this.maxCachedSqlLength) return this.analyzeUncached(sql).analysis;
    const hit = this.cache.get(sql);
    if (hit !== undefined) return hit;
    const { analysis, cacheable } = this.analyzeUncached(sql);
    if (cacheable) this.cache.set(sql, analysis);
    return analysis;
  }

  private analyzeUncached(sql: string): { analysis: StatementAnalysis; cacheable: boolean } {
    // libpg-query refuses a blank text; PostgreSQL answers it with EmptyQueryResponse.
    if (sql.trim() === "") return { analysis: EMPTY_QUERY, cacheable: true };
    const outcome = this.parser.parse(sql);
    if (outcome.ok) {
      try {
        return { analysis: analyzeTree(outcome.tree), cacheable: true };
      } catch (err) {
        // Nothing should get here (the walk keeps its own stack); if something does, fail closed.
        return { analysis: failedAnalysis(ANALYZER_FAILURE_PREFIX + String(err)), cacheable: true };
      }
    }
    if (outcome.reason === "syntax") return { analysis: failedAnalysis(outcome.message), cacheable: true };
    // A text too deep to parse stays too deep: remember it, so that sending it again costs no new parser
    // instance. "unavailable" is transient: do not remember it.
    return {
      analysis: failedAnalysis(ANALYZER_FAILURE_PREFIX + outcome.message),
      cacheable: outcome.reason === "too_complex",
    };
  }
}

/**
 * Loads PostgreSQL's parser (WASM, ~10 ms) and returns a synchronous analyzer with an LRU-like cache by
 * exact statement text. Texts longer than `maxCachedSqlLength` are analyzed every time, never cached.
 */
export async function loadSqlAnalyzer(opts?: {
  cacheEntries?: number;
  maxCachedSqlLength?: number;
}): Promise<SqlAnalyzer> {
  const parser = await PgParser.load();
  return new CachedSqlAnalyzer(parser, opts?.cacheEntries ?? 10_000, opts?.maxCachedSqlLength ?? 8192);
}
