import { z } from "zod";

/** POST /api/agent/v1/heartbeat body (apps/agent/PROTOCOL.md). Unknown fields are ignored. */
export const Heartbeat = z.object({
  name: z.string().min(1).max(200),
  version: z.string().max(100),
  address: z.string().max(300).nullable().default(null),
  startedAt: z.coerce.date().nullable().default(null),
  appliedRevision: z.number().int().min(0).nullable(),
  backends: z
    .array(
      z.object({
        virtualDatabase: z.string().max(100),
        backend: z.string().max(100),
        healthy: z.boolean(),
        lastError: z.string().max(2000).nullable().default(null),
        checkedAt: z.string().max(100).nullable().default(null),
      }),
    )
    .max(10_000)
    .default([]),
  counters: z.record(z.string().max(100), z.number()).default({}),
  /** Conditions an operator must see, e.g. `audit_dropping` (SQL audit events are being dropped); empty when all is well. */
  alarms: z
    .array(z.object({ code: z.string().min(1).max(100), message: z.string().max(2000), since: z.coerce.date() }))
    .max(50)
    .default([]),
});
export type Heartbeat = z.infer<typeof Heartbeat>;
