import { type AccessStatement, initialSearchPath, type SearchPathCandidates, widenSearchPath } from "./access-decide";
import { tablePatternMatches } from "./access-evaluate";
import type { CircuitBreak } from "./schemas";

// Circuit breaks (deny rules) for one traffic strategy, shared by the agent (per Query/Parse) and whoever wants
// the same answer. Each statement of a text is judged alone, in order: its kind, its normalized match text
// (packages/sql's matchTexts, never the client's spelling) against the regexes, and its tables — resolved
// through the search path exactly as access rules resolve them (an unqualified name hits when it may resolve
// to a matching table in any schema the session may have set, so `SET search_path` cannot walk around it).

/**
 * The statements' match texts, or what holds them (packages/sql's analysis, which computes them on first read):
 * they are read only when a break has a regex.
 */
export type MatchTextSource = readonly string[] | { readonly matchTexts: readonly string[] };

export interface CircuitBreakHit {
  /** The circuit break's name. */
  rule: string;
  /** Index of the statement in the text. */
  statement: number;
}

interface CompiledBreak {
  name: string;
  kinds: ReadonlySet<string>;
  regexes: readonly RegExp[];
  tables: readonly string[];
  /** null: any operation. */
  operations: ReadonlySet<string> | null;
}

function compileBreak(b: CircuitBreak): CompiledBreak {
  const regexes = b.regex.flatMap((source) => {
    try {
      return [new RegExp(source, "i")];
    } catch {
      return []; // the mesh schema refuses these on save; never fail a query over one
    }
  });
  const ops = b.operations.length === 0 || b.operations.includes("all") ? null : new Set<string>(b.operations);
  // Names in the analysis are folded as PostgreSQL folds them; patterns are written by people.
  return { name: b.name, kinds: new Set(b.statementKinds), regexes, tables: b.tables.map((t) => t.toLowerCase()), operations: ops };
}

function isTextList(texts: MatchTextSource): texts is readonly string[] {
  return Array.isArray(texts);
}

/** Whether `pattern` may cover a table whose schema is unknown (any schema). */
function patternMatchesAnySchema(pattern: string, name: string): boolean {
  const dot = pattern.indexOf(".");
  return tablePatternMatches(dot < 0 ? pattern : `*.${pattern.slice(dot + 1)}`, "?", name);
}

export class CircuitBreakMatcher {
  private readonly breaks: readonly CompiledBreak[];
  /** Hits on the initial search path, per analysis (its `parts` array is one frozen object per distinct text). */
  private readonly onDefaultPath = new WeakMap<readonly AccessStatement[], CircuitBreakHit | null>();
  /** Where sessions start (the virtual database's `searchPath`, else the server default). */
  private readonly initial: SearchPathCandidates;

  constructor(
    breaks: readonly CircuitBreak[],
    /** What `$user` in a search path names: the backend users. */
    private readonly userSchemas: readonly string[] = [],
    /** The virtual database's `searchPath` (empty or absent: the server default). */
    searchPath?: readonly string[],
  ) {
    this.breaks = breaks.map(compileBreak);
    this.initial = initialSearchPath(searchPath);
  }

  get size(): number {
    return this.breaks.length;
  }

  /**
   * The first circuit break hit by the first statement that hits one, or null. `searchPath`: the schemas an
   * unqualified name may resolve to when the text starts (null: the initial path, and the answer is cached).
   */
  match(statements: readonly AccessStatement[], texts: MatchTextSource, searchPath: SearchPathCandidates | null = null): CircuitBreakHit | null {
    if (this.breaks.length === 0) return null;
    if (searchPath !== null) return this.compute(statements, texts, searchPath);
    let hit = this.onDefaultPath.get(statements);
    if (hit === undefined) {
      hit = this.compute(statements, texts, this.initial);
      this.onDefaultPath.set(statements, hit);
    }
    return hit;
  }

  private compute(statements: readonly AccessStatement[], texts: MatchTextSource, start: SearchPathCandidates): CircuitBreakHit | null {
    // Read (and so computed) only once a break with a regex gets to look at a statement.
    let matchTexts: readonly string[] | null = null;
    let path = start;
    for (let i = 0; i < statements.length; i++) {
      const st = statements[i]!;
      for (const b of this.breaks) {
        if (b.kinds.has(st.kind)) return { rule: b.name, statement: i };
        if (b.regexes.length > 0) {
          matchTexts ??= isTextList(texts) ? texts : texts.matchTexts;
          if (this.regexHits(b, matchTexts[i] ?? "")) return { rule: b.name, statement: i };
        }
        if (this.tableHits(b, st, path)) return { rule: b.name, statement: i };
      }
      if (st.settings.length > 0) path = widenSearchPath(path, st.settings, this.userSchemas, this.initial);
    }
    return null;
  }

  private regexHits(b: CompiledBreak, text: string): boolean {
    for (const re of b.regexes) if (re.test(text)) return true;
    return false;
  }

  private tableHits(b: CompiledBreak, st: AccessStatement, path: SearchPathCandidates): boolean {
    if (b.tables.length === 0) return false;
    for (const t of st.tables) {
      if (b.operations !== null && !b.operations.has(t.operation)) continue;
      for (const pattern of b.tables) {
        if (t.schema !== null) {
          if (tablePatternMatches(pattern, t.schema, t.name)) return true;
          continue;
        }
        // A search path the agent cannot follow: the name may be in any schema.
        if (path.includes("*")) {
          if (patternMatchesAnySchema(pattern, t.name)) return true;
          continue;
        }
        // As for access rules: pg_* names may be system catalogs whatever the path says.
        if (t.name.startsWith("pg_") && tablePatternMatches(pattern, "pg_catalog", t.name)) return true;
        for (const schema of path) if (tablePatternMatches(pattern, schema, t.name)) return true;
      }
    }
    return false;
  }
}
