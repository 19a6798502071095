import { BackupPlanInput } from "@dbmesh/backup";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { procedure } from "../trpc";
import { deletePlan, getPlan, listPlans, plansNeedingAttention, runPlanNow, savePlan } from "../services/backups/plans";
import { deleteRun, getRestore, getRun, listRestores, listRuns, requestRestore, RestoreInput, RunListInput, runSizes, verifyRunAgain } from "../services/backups/runs";

const Id = z.object({ id: z.string().min(1) });

export const backupPlanRouter = {
  list: procedure.query(({ ctx }) => listPlans(ctx)),
  get: procedure.input(Id).query(({ ctx, input }) => getPlan(ctx, input.id)),
  /** Plans whose last run failed or whose scheduled backup is overdue (the overview shows them). */
  attention: procedure.query(({ ctx }) => plansNeedingAttention(ctx)),
  create: procedure.input(BackupPlanInput).mutation(({ ctx, input }) => savePlan(ctx, input)),
  update: procedure.input(z.object({ id: z.string().min(1), data: BackupPlanInput })).mutation(({ ctx, input }) => savePlan(ctx, input.data, input.id)),
  delete: procedure.input(Id).mutation(({ ctx, input }) => deletePlan(ctx, input.id)),
  runNow: procedure.input(z.object({ planId: z.string().min(1) })).mutation(({ ctx, input }) => runPlanNow(ctx, input.planId)),
} satisfies TRPCRouterRecord;

export const backupRunRouter = {
  list: procedure.input(RunListInput).query(({ ctx, input }) => listRuns(ctx, input)),
  get: procedure.input(Id).query(({ ctx, input }) => getRun(ctx, input.id)),
  sizes: procedure
    .input(z.object({ planId: z.string().optional(), days: z.number().int().min(1).max(3650).default(90) }))
    .query(({ ctx, input }) => runSizes(ctx, input)),
  verify: procedure.input(Id).mutation(({ ctx, input }) => verifyRunAgain(ctx, input.id)),
  delete: procedure.input(Id).mutation(({ ctx, input }) => deleteRun(ctx, input.id)),
} satisfies TRPCRouterRecord;

export const restoreRouter = {
  list: procedure
    .input(z.object({ backupRunId: z.string().optional(), limit: z.number().int().min(1).max(500).default(100) }))
    .query(({ ctx, input }) => listRestores(ctx, input)),
  get: procedure.input(Id).query(({ ctx, input }) => getRestore(ctx, input.id)),
  create: procedure.input(RestoreInput).mutation(({ ctx, input }) => requestRestore(ctx, input)),
} satisfies TRPCRouterRecord;
