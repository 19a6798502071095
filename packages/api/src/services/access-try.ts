import { compile, evaluateAccess, type AccessDecision } from "@dbmesh/mesh";
import { loadSqlAnalyzer, type SqlAnalyzer, type StatementAnalysis } from "@dbmesh/sql";
import { z } from "zod";
import type { Context } from "../context";
import { AppError } from "../errors";
import { loadMeshDefinition } from "./mesh/snapshot";

export const TryStatementInput = z.object({
  virtualDatabase: z.string().min(1, "choose a virtual database"),
  credential: z.string().trim().min(1, "name a credential").max(63),
  sql: z.string().min(1, "type a statement").max(100_000, "statements are limited to 100,000 characters here"),
  searchPath: z.array(z.string().max(63)).max(20).optional(),
});

let analyzer: Promise<SqlAnalyzer> | null = null;

export interface TryStatementResult {
  analysis: Pick<StatementAnalysis, "kind" | "statements" | "readOnly" | "tables" | "error">;
  decision: AccessDecision;
  defaultEffect: "ALLOW" | "DENY";
}

/**
 * The console's "try a statement": the same analysis (PostgreSQL's parser) and the same decision
 * (evaluateAccess over the compiled, ordered rules) the agent applies on the wire.
 */
export async function tryStatement(ctx: Context, input: z.infer<typeof TryStatementInput>): Promise<TryStatementResult> {
  analyzer ??= loadSqlAnalyzer();
  const analysis = (await analyzer).analyze(input.sql);
  const mesh = await loadMeshDefinition(ctx.db);
  if (!mesh.virtualDatabases.some((v) => v.name === input.virtualDatabase)) {
    throw new AppError("BAD_REQUEST", `virtual database "${input.virtualDatabase}" does not exist`, { field: "virtualDatabase" });
  }
  const vdb = compile({ revision: 0, mesh }).virtualDatabases.find((v) => v.name === input.virtualDatabase)!;
  // Until virtual databases carry an explicit default, one without rules is open and one with rules is closed.
  const defaultEffect = vdb.accessRules.length === 0 ? "ALLOW" : "DENY";
  const decision: AccessDecision = analysis.error
    ? { allowed: false, rule: null, tables: [], reason: `the statement cannot be parsed, so it is refused (fail closed): ${analysis.error}` }
    : evaluateAccess({ rules: vdb.accessRules, credential: input.credential, tables: analysis.tables, searchPath: input.searchPath, defaultEffect });
  return {
    analysis: { kind: analysis.kind, statements: analysis.statements, readOnly: analysis.readOnly, tables: analysis.tables, error: analysis.error },
    decision,
    defaultEffect,
  };
}
