import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { procedure } from "../trpc";
import {
  ChangeTargetInput,
  closeChangeRequest,
  createChangeRequest,
  CreateChangeRequestInput,
  getChangeRequest,
  listChangeRequests,
  ListChangeRequestsInput,
  previewTargets,
  rerunChecks,
  updateChangeSql,
  UpdateChangeSqlInput,
} from "../services/schema-change/change-requests";
import { approveChange, ApproveInput, commentOnChange, requestChanges, ReviewInput } from "../services/schema-change/review";
import { cancelStage, DeployInput, deployNextStage, retryStage, rollbackStage } from "../services/schema-change/rollout";
import { schemaHistory } from "../services/schema-change/history";

const Id = z.object({ id: z.string().min(1) });
const StageId = z.object({ stageId: z.string().min(1) });

// Change requests: the schema pipeline's issue → checks → review → rollout flow. Thin procedures
// over services/schema-change; who may call each is in permissions.ts, finer rules (authors never
// approve their own change, a DEVELOPER edits only their own) in the services.
export const changeRequestRouter = {
  list: procedure.input(ListChangeRequestsInput).query(({ ctx, input }) => listChangeRequests(ctx, input)),
  get: procedure.input(Id).query(({ ctx, input }) => getChangeRequest(ctx, input.id)),
  previewTargets: procedure.input(z.object({ target: ChangeTargetInput })).query(({ ctx, input }) => previewTargets(ctx, input.target)),
  create: procedure.input(CreateChangeRequestInput).mutation(({ ctx, input }) => createChangeRequest(ctx, input)),
  updateSql: procedure.input(UpdateChangeSqlInput).mutation(({ ctx, input }) => updateChangeSql(ctx, input)),
  rerunChecks: procedure.input(Id).mutation(({ ctx, input }) => rerunChecks(ctx, input.id)),
  comment: procedure.input(ReviewInput).mutation(({ ctx, input }) => commentOnChange(ctx, input)),
  approve: procedure.input(ApproveInput).mutation(({ ctx, input }) => approveChange(ctx, input)),
  requestChanges: procedure.input(ReviewInput).mutation(({ ctx, input }) => requestChanges(ctx, input)),
  close: procedure.input(Id).mutation(({ ctx, input }) => closeChangeRequest(ctx, input.id)),
  deployNext: procedure.input(DeployInput).mutation(({ ctx, input }) => deployNextStage(ctx, input)),
  retryStage: procedure.input(StageId).mutation(({ ctx, input }) => retryStage(ctx, input.stageId)),
  rollbackStage: procedure.input(StageId).mutation(({ ctx, input }) => rollbackStage(ctx, input)),
  cancelStage: procedure.input(StageId).mutation(({ ctx, input }) => cancelStage(ctx, input.stageId)),
  history: procedure.input(z.object({ virtualDatabaseId: z.string().min(1) })).query(({ ctx, input }) => schemaHistory(ctx, input)),
} satisfies TRPCRouterRecord;
