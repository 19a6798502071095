import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { procedure } from "../trpc";
import {
  createCredential,
  CredentialInput,
  deleteCredential,
  listCredentials,
  rotateCredential,
  updateCredential,
} from "../services/credentials";

const IdInput = z.object({ id: z.string().min(1) });

export const credentialRouter = {
  list: procedure.query(({ ctx }) => listCredentials(ctx.db)),
  create: procedure.input(CredentialInput).mutation(({ ctx, input }) => createCredential(ctx, input)),
  update: procedure.input(z.object({ id: z.string().min(1), data: CredentialInput })).mutation(({ ctx, input }) => updateCredential(ctx, input)),
  rotate: procedure.input(IdInput).mutation(({ ctx, input }) => rotateCredential(ctx, input)),
  delete: procedure.input(IdInput).mutation(({ ctx, input }) => deleteCredential(ctx, input)),
} satisfies TRPCRouterRecord;
