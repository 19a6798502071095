import { accessPolicyOf, CircuitBreakMatcher, compile, decideStatements, expandSearchPath, type AccessDecision, type CircuitBreakHit } from "@dbmesh/mesh";
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
  decision: AccessDecision & { refusedStatement: number };
  defaultEffect: "ALLOW" | "DENY";
  /** The traffic strategy's circuit break the agent would refuse the text with (before any access rule), else null. */
  circuitBreak: CircuitBreakHit | null;
}

/**
 * The console's "try a statement": the same analysis (PostgreSQL's parser) and the same decision
 * (decideStatements over the compiled policy) the agent applies on the wire.
 */
export async function tryStatement(ctx: Context, input: z.infer<typeof TryStatementInput>): Promise<TryStatementResult> {
  analyzer ??= loadSqlAnalyzer();
  const analysis = (await analyzer).analyze(input.sql);
  const mesh = await loadMeshDefinition(ctx.db);
  if (!mesh.virtualDatabases.some((v) => v.name === input.virtualDatabase)) {
    throw new AppError("BAD_REQUEST", `virtual database "${input.virtualDatabase}" does not exist`, { field: "virtualDatabase" });
  }
  const config = compile({ revision: 0, mesh });
  const vdb = config.virtualDatabases.find((v) => v.name === input.virtualDatabase)!;
  const policy = accessPolicyOf(vdb);
  const searchPath = input.searchPath ? expandSearchPath(input.searchPath, backendUsers(vdb)) : undefined;
  const decision = decideStatements({
    policy,
    credential: input.credential,
    statements: analysis.parts,
    error: analysis.error,
    searchPath,
    userSchemas: backendUsers(vdb),
  });
  // The agent's own matcher, on the same normalized texts and search path.
  const breaks = new CircuitBreakMatcher(vdb.trafficStrategy.circuitBreaks, backendUsers(vdb), vdb.searchPath);
  const circuitBreak = breaks.match(analysis.parts, analysis, searchPath ?? null);
  return {
    analysis: { kind: analysis.kind, statements: analysis.statements, readOnly: analysis.readOnly, tables: analysis.tables, error: analysis.error },
    decision,
    defaultEffect: policy.defaultEffect,
    circuitBreak,
  };
}

/** What `$user` in a search path names: the users the agent logs in to the backends as. */
function backendUsers(vdb: { backends: readonly { user: string }[] }): string[] {
  return [...new Set(vdb.backends.map((b) => b.user))];
}
