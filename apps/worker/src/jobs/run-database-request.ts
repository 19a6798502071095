import { runDatabaseRequest, type ProvisionDeps } from "@dbmesh/api/self-service";
import { UnrecoverableError } from "bullmq";
import { defineJob, type JobContext } from "../job";

export function provisionDeps(ctx: JobContext<unknown>): ProvisionDeps {
  const { secretKey } = ctx.settings;
  if (secretKey === null) throw new UnrecoverableError("the worker has no DBMESH_SECRET_KEY: it cannot read endpoint passwords to provision databases");
  return {
    db: ctx.db,
    secretKey,
    log: ctx.log,
    queue: { REDIS_URL: ctx.settings.redisUrl, DBMESH_QUEUE_PREFIX: ctx.settings.queuePrefixBase },
    pauseAfterStep: ctx.settings.provisionPauseAfterStep,
  };
}

/** Provisions, grants access or decommissions: resumable, each step recorded (see provision.ts). */
export const runDatabaseRequestJob = defineJob({
  queue: "provision",
  name: "run-database-request",
  async handle(ctx) {
    const attempts = ctx.job.opts.attempts ?? 1;
    // The last attempt cleans up on failure, so that nothing half-made outlives the request.
    await runDatabaseRequest(provisionDeps(ctx), ctx.payload.requestId, { finalAttempt: ctx.job.attemptsMade + 1 >= attempts });
  },
});
