import type { TRPCRouterRecord } from "@trpc/server";
import { procedure } from "../trpc";
import { listSqlAudit, SqlAuditFilter, SqlAuditListInput } from "../services/sql-audit";
import { sqlAuditFingerprints, sqlAuditPerMinute } from "../services/sql-audit-aggregates";

export const sqlAuditRouter = {
  list: procedure.input(SqlAuditListInput).query(({ ctx, input }) => listSqlAudit(ctx.db, input)),
  fingerprints: procedure.input(SqlAuditFilter).query(({ ctx, input }) => sqlAuditFingerprints(ctx.db, input)),
  perMinute: procedure.input(SqlAuditFilter).query(({ ctx, input }) => sqlAuditPerMinute(ctx.db, input)),
} satisfies TRPCRouterRecord;
