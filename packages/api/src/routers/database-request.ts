import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { procedure } from "../trpc";
import { CredentialIdInput, listMyCredentials, renewLease, revealIssuedPassword, revokeLeasedCredential, rotateLeasedCredential } from "../services/self-service/credential-lease";
import { listRequestPolicies, RequestPolicyInput, setRequestPolicy } from "../services/self-service/policy";
import {
  approveRequest,
  ApproveInput,
  commentOnRequest,
  DatabaseRequestInput,
  dropNow,
  getRequest,
  listPlacements,
  listRequests,
  RequestListInput,
  rejectRequest,
  requestChanges,
  RequiredCommentInput,
  resubmitRequest,
  ResubmitInput,
  retryRequest,
  submitRequest,
} from "../services/self-service/requests";
import { ALLOWED_EXTENSIONS } from "../services/self-service/names";

const IdInput = z.object({ id: z.string().min(1) });

// Developer self-service: requests, their review, and the credentials they issue.
export const databaseRequestRouter = {
  submit: procedure.input(DatabaseRequestInput).mutation(({ ctx, input }) => submitRequest(ctx, input)),
  mine: procedure.input(RequestListInput.default({})).query(({ ctx, input }) => listRequests(ctx, input, true)),
  list: procedure.input(RequestListInput.default({})).query(({ ctx, input }) => listRequests(ctx, input, false)),
  get: procedure.input(IdInput).query(({ ctx, input }) => getRequest(ctx, input.id)),
  approve: procedure.input(ApproveInput).mutation(({ ctx, input }) => approveRequest(ctx, input)),
  requestChanges: procedure.input(RequiredCommentInput).mutation(({ ctx, input }) => requestChanges(ctx, input)),
  reject: procedure.input(RequiredCommentInput).mutation(({ ctx, input }) => rejectRequest(ctx, input)),
  resubmit: procedure.input(ResubmitInput).mutation(({ ctx, input }) => resubmitRequest(ctx, input)),
  comment: procedure.input(RequiredCommentInput).mutation(({ ctx, input }) => commentOnRequest(ctx, input)),
  retry: procedure.input(IdInput).mutation(({ ctx, input }) => retryRequest(ctx, input)),
  dropNow: procedure.input(RequiredCommentInput).mutation(({ ctx, input }) => dropNow(ctx, input)),
  revealPassword: procedure.input(IdInput).mutation(({ ctx, input }) => revealIssuedPassword(ctx, input)),
  placements: procedure.input(z.object({ environment: z.string().min(1) })).query(({ ctx, input }) => listPlacements(ctx.db, input.environment)),
  options: procedure.query(() => ({ extensions: [...ALLOWED_EXTENSIONS] })),
  policies: procedure.query(({ ctx }) => listRequestPolicies(ctx.db)),
  setPolicy: procedure.input(RequestPolicyInput).mutation(({ ctx, input }) => setRequestPolicy(ctx, input)),
  myCredentials: procedure.query(({ ctx }) => listMyCredentials(ctx)),
  renewCredential: procedure.input(CredentialIdInput).mutation(({ ctx, input }) => renewLease(ctx, input)),
  rotateCredential: procedure.input(CredentialIdInput).mutation(({ ctx, input }) => rotateLeasedCredential(ctx, input)),
  revokeCredential: procedure.input(CredentialIdInput).mutation(({ ctx, input }) => revokeLeasedCredential(ctx, input)),
} satisfies TRPCRouterRecord;
