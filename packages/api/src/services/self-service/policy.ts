import { z } from "zod";
import type { Context } from "../../context";
import { mutate, notFound, type Tx } from "../mutation";

// Per-environment policy for self-service *database requests* (the schema pipeline has its own).

export const RequestPolicyInput = z.object({
  environmentId: z.string().min(1),
  /** DBA approvals a request needs; 0 approves it on submit. */
  requestApprovalsRequired: z.coerce.number().int().min(0, "at least 0").max(5, "at most 5"),
  credentialLeaseTtlHours: z.coerce.number().int().min(1, "at least 1 hour").max(24 * 365, "at most a year"),
  credentialRotationGraceSeconds: z.coerce.number().int().min(0).max(7 * 24 * 3600, "at most a week"),
  decommissionGraceHours: z.coerce.number().int().min(0).max(24 * 90, "at most 90 days"),
});
export type RequestPolicyInput = z.infer<typeof RequestPolicyInput>;

export type RequestPolicyView = Omit<RequestPolicyInput, "environmentId"> & { environmentId: string; environment: string; production: boolean };

const select = {
  id: true,
  name: true,
  production: true,
  requestApprovalsRequired: true,
  credentialLeaseTtlHours: true,
  credentialRotationGraceSeconds: true,
  decommissionGraceHours: true,
} as const;

export async function listRequestPolicies(tx: Tx): Promise<RequestPolicyView[]> {
  const rows = await tx.environment.findMany({ select, orderBy: { name: "asc" } });
  return rows.map(({ id, name, ...rest }) => ({ environmentId: id, environment: name, ...rest }));
}

export async function setRequestPolicy(ctx: Context, input: RequestPolicyInput) {
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const before = await tx.environment.findUnique({ where: { id: input.environmentId }, select });
    if (!before) throw notFound("environment", input.environmentId);
    const { environmentId, ...data } = input;
    await tx.environment.update({ where: { id: environmentId }, data });
    await audit({ action: "environment.requestPolicy.update", objectType: "environment", objectId: environmentId, objectName: before.name, before, after: data });
    return { environmentId };
  });
}

/** The defaults for a new environment: `dev` approves itself, production needs two DBAs. */
export function defaultApprovalsFor(env: { name: string; production: boolean }): number {
  if (env.production || env.name === "prod") return 2;
  return env.name === "dev" ? 0 : 1;
}
