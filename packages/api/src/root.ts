import { createTRPCRouter } from "./trpc";
import { accessRuleRouter } from "./routers/access-rule";
import { agentRouter } from "./routers/agent";
import { credentialRouter } from "./routers/credential";
import { databaseRequestRouter } from "./routers/database-request";
import { apiTokenRouter } from "./routers/api-token";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { backupPlanRouter, backupRunRouter, restoreRouter } from "./routers/backup";
import { endpointRouter } from "./routers/endpoint";
import { environmentRouter } from "./routers/environment";
import { meshRouter } from "./routers/mesh";
import { trafficStrategyRouter } from "./routers/traffic-strategy";
import { sqlAuditRouter } from "./routers/sql-audit";
import { userRouter } from "./routers/user";
import { virtualDatabaseRouter } from "./routers/virtual-database";
import { changeRequestRouter } from "./routers/change-request";
import { sqlReviewRouter } from "./routers/sql-review";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  environment: environmentRouter,
  endpoint: endpointRouter,
  trafficStrategy: trafficStrategyRouter,
  virtualDatabase: virtualDatabaseRouter,
  accessRule: accessRuleRouter,
  credential: credentialRouter,
  agent: agentRouter,
  mesh: meshRouter,
  audit: auditRouter,
  sqlAudit: sqlAuditRouter,
  user: userRouter,
  apiToken: apiTokenRouter,
  changeRequest: changeRequestRouter,
  sqlReview: sqlReviewRouter,
  databaseRequest: databaseRequestRouter,
  backupPlan: backupPlanRouter,
  backupRun: backupRunRouter,
  restore: restoreRouter,
});

export type AppRouter = typeof appRouter;
