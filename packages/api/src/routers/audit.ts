import type { TRPCRouterRecord } from "@trpc/server";
import { procedure } from "../trpc";
import { AuditListInput, auditFacets, listAuditEvents, verifyAuditChain } from "../services/audit-log";

export const auditRouter = {
  list: procedure.input(AuditListInput).query(({ ctx, input }) => listAuditEvents(ctx.db, input)),
  facets: procedure.query(({ ctx }) => auditFacets(ctx.db)),
  verifyChain: procedure.query(({ ctx }) => verifyAuditChain(ctx.db)),
} satisfies TRPCRouterRecord;
