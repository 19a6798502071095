/** Every BullMQ queue dbmesh uses. Names contain no ':' (BullMQ forbids it). */
export const QUEUE_NAMES = ["maintenance", "backup", "restore", "schema-change", "provision"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export const DEFAULT_QUEUE_PREFIX = "dbmesh";

/**
 * The BullMQ key prefix, wrapped in a Redis Cluster hash tag: every key of every dbmesh queue then
 * hashes to one slot, which BullMQ's multi-key Lua scripts (and flows whose parent and children sit
 * in different queues) require on Cluster. On a single Redis or Sentinel the braces cost nothing.
 * Tests pass their own base so that each run has its own keys.
 */
export function queuePrefix(base: string = DEFAULT_QUEUE_PREFIX): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(base)) {
    throw new Error(`queue prefix "${base}" may only contain letters, digits, '_', '.' and '-'`);
  }
  return `{${base}}`;
}
