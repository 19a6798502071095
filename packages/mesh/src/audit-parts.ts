// Shared parts in a POST /api/agent/v1/audit batch (apps/agent/PROTOCOL.md, "Shared parts"). Most of an SQL audit
// event — who ran it, the normalized statement, its tables, the decision — repeats for every run of one statement
// shape in one session; only the id, the time, the duration, the rows and the SQLSTATE change. An agent may send
// that repeated part once per batch, as an element `{"part": N, …members}`, and then events as
// `{"id": …, "occurredAt": …, "part": N, "durationUs": …, "rows": …, "sqlstate": …}`: about a quarter of the bytes
// a whole event takes, through the agent's spool, its disk and the network. Whole events stay valid, and both
// kinds may be mixed. The control plane and the agent's test console both resolve a batch with this function.

/** The most elements (events and parts) one batch may hold; events alone are limited to 5,000 elsewhere. */
export const MAX_AUDIT_BATCH_ELEMENTS = 10_000;

export type ResolvedAuditBatch =
  | {
      ok: true;
      /** Every event, whole (the part's members, then the event's own), in batch order. */
      events: Record<string, unknown>[];
      /** For each event, its element's index in the batch (to name it in an error). */
      elementIndex: number[];
    }
  | { ok: false; error: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Resolves a batch's elements into whole events. An element without `id` that has `part` defines that part (a
 * later definition of the same number replaces it); an event with `part` takes that part's members, its own
 * winning. An event naming a part not defined before it, or an element that is not an object, fails the batch.
 */
export function resolveAuditParts(elements: readonly unknown[]): ResolvedAuditBatch {
  if (elements.length > MAX_AUDIT_BATCH_ELEMENTS) return { ok: false, error: `events: at most ${MAX_AUDIT_BATCH_ELEMENTS} elements (events and shared parts) per batch` };
  const parts = new Map<number, Record<string, unknown>>();
  const events: Record<string, unknown>[] = [];
  const elementIndex: number[] = [];
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i];
    if (!isObject(element)) return { ok: false, error: `events.${i}: not an object` };
    const part = element.part;
    if (part === undefined) {
      events.push(element);
      elementIndex.push(i);
      continue;
    }
    if (typeof part !== "number" || !Number.isSafeInteger(part) || part < 0) return { ok: false, error: `events.${i}.part: a part number is an integer ≥ 0` };
    const { part: _number, ...members } = element;
    if (!("id" in element)) {
      parts.set(part, members);
      continue;
    }
    const shared = parts.get(part);
    if (shared === undefined) return { ok: false, error: `events.${i}.part: no part ${part} is defined before this event in the batch` };
    events.push({ ...shared, ...members });
    elementIndex.push(i);
  }
  return { ok: true, events, elementIndex };
}
