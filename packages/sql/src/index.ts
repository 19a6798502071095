export type { SqlAnalyzer, StatementAnalysis, TableRef, TransactionCommand } from "./types";
export { RecentShape } from "./recent-shape";
export { loadSqlAnalyzer, isAnalyzerFailure, ANALYZER_FAILURE_PREFIX } from "./sql-analyzer";
export { kindOfNode } from "./analyze-tree";
export * from "./lint";
export { matchTexts, statementRanges } from "./match-text";
export { commentEnd, dollarTagLength, isDigit, isIdentCont, isIdentStart, maxParameter, quotedEnd } from "./sql-lexer";
export { loadNativeParser, NATIVE_MAX_CHARS, type ParserBackend } from "./native-parser";
