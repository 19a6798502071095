import { z } from "zod";

/** POST /api/agent/v1/audit body (apps/agent/PROTOCOL.md). */
export const SqlAuditEventInput = z.object({
  /** Chosen by the agent (a UUID or ULID): the same id sent twice is stored once. */
  id: z.string().min(8).max(100),
  occurredAt: z.coerce.date(),
  virtualDatabase: z.string().min(1).max(100),
  credential: z.string().min(1).max(100),
  clientAddress: z.string().max(300).nullable().default(null),
  applicationName: z.string().max(300).nullable().default(null),
  /** Normalized text (literals replaced) unless the virtual database's policy keeps them. */
  statement: z.string().max(100_000),
  fingerprint: z.string().min(1).max(100),
  kind: z.string().min(1).max(50),
  tables: z
    .array(z.object({ schema: z.string().max(100).nullable(), name: z.string().max(200), operation: z.string().max(50) }))
    .max(1000)
    .default([]),
  decision: z.enum(["allowed", "denied"]),
  rule: z.string().max(200).nullable().default(null),
  backend: z.string().max(100).nullable().default(null),
  durationUs: z.number().int().min(0).nullable().default(null),
  rows: z.number().int().min(0).nullable().default(null),
  sqlstate: z.string().max(5).nullable().default(null),
});
export type SqlAuditEventInput = z.infer<typeof SqlAuditEventInput>;

export const SqlAuditBatch = z.object({ events: z.array(SqlAuditEventInput).max(5000, "at most 5,000 events per batch") });
