import { LINT_RULES } from "@dbmesh/sql";
import { z } from "zod";
import type { Context } from "../../context";
import { AppError } from "../../errors";
import { mutate, notFound } from "../mutation";
import { environmentPolicies, environmentPolicy, LintPolicyInput } from "./policy";

export const UpdatePolicyInput = z.object({
  environmentId: z.string().min(1),
  /** Rollout order of the environment: lower stages are deployed first. */
  stage: z.number().int().min(0).max(1000),
  approvalsRequired: z.number().int().min(0, "0 or more").max(10, "at most 10"),
  rules: LintPolicyInput,
});

export const listPolicies = (ctx: Context) => environmentPolicies(ctx.db);

export async function updatePolicy(ctx: Context, input: z.infer<typeof UpdatePolicyInput>) {
  const known = new Set(LINT_RULES.map((r) => r.code));
  const unknown = Object.keys(input.rules).filter((c) => !known.has(c));
  if (unknown.length) throw new AppError("BAD_REQUEST", `unknown lint rule(s): ${unknown.join(", ")}`, { field: "rules" });
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const env = await tx.environment.findUnique({ where: { id: input.environmentId } });
    if (!env) throw notFound("environment", input.environmentId);
    const before = await environmentPolicy(tx, env.id);
    await tx.environment.update({ where: { id: env.id }, data: { stage: input.stage } });
    await tx.sqlReviewPolicy.upsert({
      where: { environmentId: env.id },
      create: { environmentId: env.id, approvalsRequired: input.approvalsRequired, rules: input.rules },
      update: { approvalsRequired: input.approvalsRequired, rules: input.rules },
    });
    const changed = Object.keys(input.rules).filter((c) => JSON.stringify(before?.rules[c]) !== JSON.stringify(input.rules[c]));
    await audit({
      action: "sql_review_policy.update",
      objectType: "environment",
      objectId: env.id,
      objectName: env.name,
      before: { stage: env.stage, approvalsRequired: before?.approvalsRequired },
      after: { stage: input.stage, approvalsRequired: input.approvalsRequired, changedRules: changed },
    });
    return (await environmentPolicy(tx, env.id))!;
  });
}
