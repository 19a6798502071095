import { MAX_AUDIT_BATCH_ELEMENTS, resolveAuditParts } from "@dbmesh/mesh";
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

const SqlAuditBatch = z.object({ events: z.array(SqlAuditEventInput).max(5000, "at most 5,000 events per batch") });

/** The body as sent: events, whole or naming a shared part, and shared parts (`resolveAuditParts`). */
const SqlAuditBatchElements = z.object({ events: z.array(z.unknown()).max(MAX_AUDIT_BATCH_ELEMENTS, `at most ${MAX_AUDIT_BATCH_ELEMENTS} elements per batch`) });

/**
 * Parses a POST /api/agent/v1/audit body: resolves its shared parts, then checks every event whole. An error names
 * the element as the agent sent it (`events.<index in the body>.<field>`).
 */
export function parseSqlAuditBatch(body: unknown): { ok: true; events: SqlAuditEventInput[] } | { ok: false; error: string } {
  const elements = SqlAuditBatchElements.safeParse(body);
  if (!elements.success) return { ok: false, error: issuesText(elements.error.issues, (path) => path) };
  const resolved = resolveAuditParts(elements.data.events);
  if (!resolved.ok) return resolved;
  const parsed = SqlAuditBatch.safeParse({ events: resolved.events });
  if (!parsed.success) {
    // events.<i> counts resolved events; the agent knows the element.
    const toElement = (path: PropertyKey[]) => (path[0] === "events" && typeof path[1] === "number" ? ["events", resolved.elementIndex[path[1]] ?? path[1], ...path.slice(2)] : path);
    return { ok: false, error: issuesText(parsed.error.issues, toElement) };
  }
  return { ok: true, events: parsed.data.events };
}

function issuesText(issues: readonly z.core.$ZodIssue[], mapPath: (path: PropertyKey[]) => PropertyKey[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${mapPath(i.path).map(String).join(".")}: ${i.message}`)
    .join("; ");
}
