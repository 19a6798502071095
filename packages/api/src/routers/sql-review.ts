import type { TRPCRouterRecord } from "@trpc/server";
import { LINT_RULES } from "@dbmesh/sql";
import { z } from "zod";
import { procedure } from "../trpc";
import { enqueueSchemaJob } from "../services/schema-change/enqueue";
import { listDrift, requestDriftCheck } from "../services/schema-change/drift";
import { listPolicies, updatePolicy, UpdatePolicyInput } from "../services/schema-change/policy-admin";

// The SQL review side of the schema pipeline: lint rules and their explanations, each
// environment's review policy, and schema drift.
export const sqlReviewRouter = {
  rules: procedure.query(() => LINT_RULES),
  policies: procedure.query(({ ctx }) => listPolicies(ctx)),
  updatePolicy: procedure.input(UpdatePolicyInput).mutation(({ ctx, input }) => updatePolicy(ctx, input)),
  drift: procedure.input(z.object({ includeResolved: z.boolean().optional() }).default({})).query(({ ctx, input }) => listDrift(ctx, input)),
  checkDriftNow: procedure.input(z.object({ endpointId: z.string().min(1).optional() })).mutation(({ ctx, input }) =>
    requestDriftCheck(ctx, () => enqueueSchemaJob(ctx.env, "detect-drift", input, { jobId: `drift-${Date.now()}` })),
  ),
} satisfies TRPCRouterRecord;
