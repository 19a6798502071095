import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { procedure } from "../trpc";
import { createUser, getUser, listUsers, resetUserPassword, UserCreateInput, UserUpdateInput, updateUser } from "../services/users";

export const userRouter = {
  list: procedure.query(({ ctx }) => listUsers(ctx)),
  get: procedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => getUser(ctx, input.id)),
  create: procedure.input(UserCreateInput).mutation(({ ctx, input }) => createUser(ctx, input)),
  update: procedure.input(UserUpdateInput).mutation(({ ctx, input }) => updateUser(ctx, input)),
  resetPassword: procedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => resetUserPassword(ctx, input)),
} satisfies TRPCRouterRecord;
