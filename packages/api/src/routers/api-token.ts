import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { procedure } from "../trpc";
import { ApiTokenCreateInput, createApiToken, listApiTokens, revokeApiToken } from "../services/api-tokens";

export const apiTokenRouter = {
  list: procedure.query(({ ctx }) => listApiTokens(ctx)),
  create: procedure.input(ApiTokenCreateInput).mutation(({ ctx, input }) => createApiToken(ctx, input)),
  revoke: procedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => revokeApiToken(ctx, input)),
} satisfies TRPCRouterRecord;
