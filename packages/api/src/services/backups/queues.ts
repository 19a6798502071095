// The console's producer side of the backup and restore queues: one fail-fast Redis connection and
// one Queue per name, per process (kept on globalThis so Next's dev reloads do not leak them).
import { createRedis, queuePrefix, waitForRedis } from "@dbmesh/queue";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { ApiEnv } from "../../env";
import { AppError } from "../../errors";

type Name = "backup" | "restore";
interface Producer {
  redis: Redis;
  ready: Promise<void>;
  queues: Map<Name, Queue>;
}
const globals = globalThis as unknown as { __dbmeshBackupProducers?: Map<string, Producer> };

export async function backupQueue(env: Pick<ApiEnv, "REDIS_URL" | "DBMESH_QUEUE_PREFIX">, name: Name): Promise<Queue> {
  globals.__dbmeshBackupProducers ??= new Map();
  const key = `${env.REDIS_URL}|${env.DBMESH_QUEUE_PREFIX}`;
  let p = globals.__dbmeshBackupProducers.get(key);
  if (!p) {
    const redis = createRedis(env.REDIS_URL, { forWorker: false });
    redis.on("error", () => {}); // reported to the caller below, not as a crash
    p = { redis, ready: waitForRedis(redis, env.REDIS_URL, 5_000), queues: new Map() };
    globals.__dbmeshBackupProducers.set(key, p);
  }
  try {
    await p.ready;
  } catch (err) {
    globals.__dbmeshBackupProducers.delete(key);
    p.redis.disconnect();
    throw new AppError("PRECONDITION_FAILED", `the job queue is unreachable, nothing was changed: ${(err as Error).message}`);
  }
  let q = p.queues.get(name);
  if (!q) {
    q = new Queue(name, { connection: p.redis, prefix: queuePrefix(env.DBMESH_QUEUE_PREFIX) });
    q.on("error", () => {});
    p.queues.set(name, q);
  }
  return q;
}

/** For tests and shutdown. */
export async function closeBackupQueues(): Promise<void> {
  for (const p of globals.__dbmeshBackupProducers?.values() ?? []) {
    for (const q of p.queues.values()) await q.close().catch(() => {});
    await p.redis.quit().catch(() => p.redis.disconnect());
  }
  globals.__dbmeshBackupProducers?.clear();
}
