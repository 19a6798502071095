import type { ReadWriteSplitting } from "@dbmesh/mesh";
import type { StatementAnalysis } from "@dbmesh/sql";
import { matchesAnyRegex } from "./statement-rules";

export type RouteTarget = "primary" | "replica";

/**
 * Where one statement goes. Only a read-only statement outside a transaction may leave the primary; rules
 * only choose among those, so no rule can send a write, a locking read or anything unparsable to a replica.
 * Regex rules read the statements' normalized texts (see statement-rules.ts), not the client's spelling.
 */
export function chooseTarget(input: { analysis: StatementAnalysis; inTransaction: boolean; split: ReadWriteSplitting }): RouteTarget {
  const { analysis, inTransaction, split } = input;
  if (!split.enabled || inTransaction || !analysis.readOnly || analysis.forUpdate) return "primary";
  for (const rule of split.rules) {
    const matches =
      rule.type === "regex" ? matchesAnyRegex(rule, analysis) : rule.statementKinds.includes(analysis.kind);
    if (matches) return rule.target;
  }
  return split.defaultTarget;
}
