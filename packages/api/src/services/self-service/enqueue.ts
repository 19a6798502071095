import { createRedis, queuePrefix, type JobPayload } from "@dbmesh/queue";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { AppError } from "../../errors";

// The API's producer side of the `provision` queue: one Queue per (Redis URL, prefix), made on first use.

const queues = new Map<string, { queue: Queue; redis: Redis }>();

function provisionQueue(redisUrl: string, prefixBase: string): Queue {
  const key = `${redisUrl}|${prefixBase}`;
  let entry = queues.get(key);
  if (entry === undefined) {
    const redis = createRedis(redisUrl, { forWorker: false });
    redis.on("error", () => {}); // surfaced by add() failing, with our own message below
    const queue = new Queue("provision", { connection: redis, prefix: queuePrefix(prefixBase) });
    queue.on("error", () => {});
    entry = { queue, redis };
    queues.set(key, entry);
  }
  return entry.queue;
}

export interface QueueTarget {
  REDIS_URL: string;
  DBMESH_QUEUE_PREFIX: string;
}

type ProvisionJob = "run-database-request" | "drop-decommissioned";

/** Enqueues a provision job; the job id makes a double click one job. Jobs carry ids, never secrets. */
export async function enqueueProvisionJob(
  env: QueueTarget,
  name: ProvisionJob,
  data: JobPayload<"provision", ProvisionJob>,
  opts: { jobId: string; delayMs?: number },
): Promise<void> {
  try {
    await provisionQueue(env.REDIS_URL, env.DBMESH_QUEUE_PREFIX).add(name, data, {
      jobId: opts.jobId,
      delay: opts.delayMs,
      attempts: 3,
      backoff: { type: "exponential", delay: 2_000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
    });
  } catch (err) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `the request was saved but its job could not be queued (${err instanceof Error ? err.message : String(err)}): is Redis running? Use "Retry" once it is`,
    );
  }
}

/** For tests and shutdown. */
export async function closeProvisionQueues(): Promise<void> {
  for (const { queue, redis } of queues.values()) {
    await queue.close().catch(() => {});
    redis.disconnect();
  }
  queues.clear();
}
