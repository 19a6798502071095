import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { procedure } from "../trpc";
import { AgentCreateInput, createAgent, getAgent, listAgents, revokeAgent } from "../services/agents";

export const agentRouter = {
  list: procedure.query(({ ctx }) => listAgents(ctx)),
  get: procedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => getAgent(ctx, input.id)),
  create: procedure.input(AgentCreateInput).mutation(({ ctx, input }) => createAgent(ctx, input)),
  revoke: procedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => revokeAgent(ctx, input)),
} satisfies TRPCRouterRecord;
