import { Redis, type RedisOptions } from "ioredis";

export interface CreateRedisOptions {
  /**
   * A BullMQ Worker's connection must wait out a Redis outage (BullMQ requires
   * `maxRetriesPerRequest: null` there); a Queue's connection, used to enqueue from a request
   * handler, should fail fast so the caller can answer "try again" instead of hanging.
   */
  forWorker: boolean;
}

export function createRedis(url: string, { forWorker }: CreateRedisOptions): Redis {
  const options: RedisOptions = forWorker
    ? { maxRetriesPerRequest: null }
    : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 };
  return new Redis(url, { ...options, connectionName: forWorker ? "dbmesh-worker" : "dbmesh-queue" });
}

function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable REDIS_URL)";
  }
}

/**
 * Resolves once the connection is ready; rejects after `timeoutMs` with a message a person can act
 * on. ioredis retries forever in the background, so without this a process started with Redis
 * down would only log connection errors and never say it cannot start.
 */
export async function waitForRedis(redis: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  if (redis.status === "ready") return;
  let lastError: Error | undefined;
  const onError = (err: Error) => {
    lastError = err;
  };
  redis.on("error", onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        redis.off("ready", onReady);
        const why = lastError ? ` (${lastError.message})` : "";
        reject(new Error(`cannot reach Redis at ${redactRedisUrl(url)} after ${timeoutMs} ms${why}: is it running? Check REDIS_URL.`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      redis.once("ready", onReady);
    });
  } finally {
    redis.off("error", onError);
  }
}
