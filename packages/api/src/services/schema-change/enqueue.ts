import { createRedis, queuePrefix, type JobPayload } from "@dbmesh/queue";
import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { ApiEnv } from "../../env";
import { AppError } from "../../errors";

type SchemaJob = "run-checks" | "run-stage" | "detect-drift";

const queues = new Map<string, { queue: Queue; redis: Redis }>();

function schemaQueue(env: Pick<ApiEnv, "REDIS_URL" | "DBMESH_QUEUE_PREFIX">): Queue {
  const key = `${env.REDIS_URL} ${env.DBMESH_QUEUE_PREFIX}`;
  let entry = queues.get(key);
  if (!entry) {
    // A producer connection fails fast: a request should answer "Redis is down", not hang.
    const redis = createRedis(env.REDIS_URL, { forWorker: false });
    redis.on("error", () => {});
    const queue = new Queue("schema-change", { connection: redis, prefix: queuePrefix(env.DBMESH_QUEUE_PREFIX) });
    queue.on("error", () => {});
    entry = { queue, redis };
    queues.set(key, entry);
  }
  return entry.queue;
}

/**
 * Enqueues a schema-change job after its rows are committed (the worker must find them). Job ids
 * are derived from the row, so a double click or a retried request never runs a job twice.
 */
export async function enqueueSchemaJob<N extends SchemaJob>(
  env: Pick<ApiEnv, "REDIS_URL" | "DBMESH_QUEUE_PREFIX">,
  name: N,
  data: JobPayload<"schema-change", N>,
  opts: JobsOptions & { jobId: string },
): Promise<void> {
  try {
    await schemaQueue(env).add(name, data, { removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 }, ...opts });
  } catch (err) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `saved, but the ${name} job could not be queued (${(err as Error).message}): is Redis running? Try again from the change request's page`,
    );
  }
}

/** For tests and shutdown. */
export async function closeSchemaQueues(): Promise<void> {
  for (const { queue, redis } of queues.values()) {
    await queue.close().catch(() => {});
    redis.disconnect();
  }
  queues.clear();
}
