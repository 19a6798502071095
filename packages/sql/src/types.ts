import type { RecentShape } from "./recent-shape";
import type { AccessOperation, AccessStatement, StatementKind } from "@dbmesh/mesh";
import type { ParserBackend } from "./native-parser";

export interface TableRef {
  schema: string | null;
  name: string;
  operation: AccessOperation;
}

export type TransactionCommand =
  | "begin"
  | "commit"
  | "rollback"
  | "savepoint"
  | "release"
  | "rollback_to"
  | "prepare"
  | "other";

/** What the agent needs to know about one Query (or Parse) text. Results are frozen and shared by the cache. */
export interface StatementAnalysis {
  /** Of the first statement; "other" when unknown, empty or unparsable. */
  kind: StatementKind;
  /** Statements in the text (a simple Query may carry several); 0 for an empty text or a parse error. */
  statements: number;
  /**
   * Every statement is safe on a read replica: SELECT/VALUES/TABLE without a locking clause, data-modifying
   * CTE or INTO; SHOW; EXPLAIN unless it is EXPLAIN ANALYZE of something that is not read-only. Function
   * calls are not inspected: `SELECT nextval('s')` counts as read-only (route it with a rule).
   */
  readOnly: boolean;
  /** Any FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE anywhere in the text. */
  forUpdate: boolean;
  /** Of the first statement, when it is a transaction-control statement. */
  transaction: TransactionCommand | null;
  /** Something that outlives the transaction on its backend connection (pins it in transaction pooling). */
  setsSessionState: boolean;
  /** Every table touched, CTE references excluded, deduplicated by schema + name + operation. */
  tables: TableRef[];
  /** Each statement of the text, in order, as the access decision (packages/mesh decideStatements) reads it. */
  parts: readonly AccessStatement[];
  /**
   * Each statement's match text (see match-text.ts: comments stripped, whitespace collapsed, unquoted words
   * lower-cased, literal values as `$n`), in order: what circuit-break and routing regexes are matched against.
   * Computed on first read (a getter), so read it only when a regex needs it.
   */
  readonly matchTexts: readonly string[];
  /**
   * The analysis depends on literal values (SET search_path = 'x', set_config('search_path', 'x', …)): it
   * must be cached by exact text, never shared by literal shape.
   */
  literalSensitive: boolean;
  /**
   * Why the text could not be analyzed, else null. Usually a syntax error (PostgreSQL would report the same);
   * see `isAnalyzerFailure` for the rare texts PostgreSQL may accept but dbmesh cannot analyze.
   */
  error: string | null;
}

export interface SqlAnalyzer {
  /**
   * `recent`: the caller's memo of the literal shape it analyzed last (a client session keeps one). A text of
   * that shape, with other literal values, is answered without building its shape key.
   */
  analyze(sql: string, recent?: RecentShape): StatementAnalysis;
  readonly cacheSize: number;
  /** Which build of PostgreSQL's parser reads statements up to 16 K characters; longer ones always use WASM. */
  readonly parserBackend: ParserBackend;
}
