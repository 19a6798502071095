export type { SqlAnalyzer, StatementAnalysis, TableRef, TransactionCommand } from "./types";
export { loadSqlAnalyzer, isAnalyzerFailure, ANALYZER_FAILURE_PREFIX } from "./sql-analyzer";
export { kindOfNode } from "./analyze-tree";
export * from "./lint";
export { matchTexts, statementRanges } from "./match-text";
