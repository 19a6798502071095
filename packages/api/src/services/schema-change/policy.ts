import type { Prisma } from "@dbmesh/db";
import { LINT_RULES, type LintPolicy, type LintSeverity } from "@dbmesh/sql";
import { z } from "zod";

type Reader = Pick<Prisma.TransactionClient, "sqlReviewPolicy" | "environment">;

export const LintSeveritySchema = z.enum(["error", "warning", "info"]);
export const LintPolicyInput = z.record(z.string().regex(/^[A-Z]{2}\d{3}$/, "a rule code like DS103"), z.object({ enabled: z.boolean(), severity: LintSeveritySchema }));

export interface EnvironmentPolicy {
  environmentId: string;
  environmentName: string;
  production: boolean;
  stage: number;
  approvalsRequired: number;
  /** Every rule, with the environment's choice or the default. */
  rules: LintPolicy;
  customized: boolean;
}

/** Production environments need two approvals unless a DBA says otherwise; others one. */
export function defaultApprovals(production: boolean): number {
  return production ? 2 : 1;
}

export function effectiveRules(stored: unknown): LintPolicy {
  const parsed = LintPolicyInput.safeParse(stored ?? {});
  const chosen = parsed.success ? parsed.data : {};
  const out: LintPolicy = {};
  for (const rule of LINT_RULES) {
    out[rule.code] = chosen[rule.code] ?? { enabled: true, severity: rule.defaultSeverity as LintSeverity };
  }
  return out;
}

export async function environmentPolicies(tx: Reader): Promise<EnvironmentPolicy[]> {
  // Sequential: inside an interactive transaction both would share one connection.
  const envs = await tx.environment.findMany({ orderBy: [{ stage: "asc" }, { name: "asc" }] });
  const stored = await tx.sqlReviewPolicy.findMany();
  const byEnv = new Map(stored.map((p) => [p.environmentId, p]));
  return envs.map((e) => {
    const p = byEnv.get(e.id);
    return {
      environmentId: e.id,
      environmentName: e.name,
      production: e.production,
      stage: e.stage,
      approvalsRequired: p?.approvalsRequired ?? defaultApprovals(e.production),
      rules: effectiveRules(p?.rules),
      customized: !!p,
    };
  });
}

export async function environmentPolicy(tx: Reader, environmentId: string): Promise<EnvironmentPolicy | null> {
  return (await environmentPolicies(tx)).find((p) => p.environmentId === environmentId) ?? null;
}
