import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { procedure } from "../trpc";
import { changePassword, login, logout, me, totpBegin, totpConfirm, totpDisable } from "../services/auth";

const Code = z.string().trim().regex(/^\d{6}$/, "enter the 6-digit code from your authenticator app");

export const authRouter = {
  login: procedure
    .input(
      z.object({
        email: z.string().trim().min(1, "email is required").max(320),
        password: z.string().min(1, "password is required").max(1000),
        totpCode: z.string().trim().max(10).optional(),
      }),
    )
    .mutation(({ ctx, input }) => login(ctx, input)),
  logout: procedure.mutation(({ ctx }) => logout(ctx)),
  me: procedure.query(({ ctx }) => me(ctx)),
  changePassword: procedure
    .input(z.object({ currentPassword: z.string().min(1, "current password is required"), newPassword: z.string().min(1, "new password is required") }))
    .mutation(({ ctx, input }) => changePassword(ctx, input)),
  totpBegin: procedure.mutation(({ ctx }) => totpBegin(ctx)),
  totpConfirm: procedure.input(z.object({ code: Code })).mutation(({ ctx, input }) => totpConfirm(ctx, input)),
  totpDisable: procedure.input(z.object({ code: Code })).mutation(({ ctx, input }) => totpDisable(ctx, input)),
} satisfies TRPCRouterRecord;
