import { resolveAuditParts } from "@dbmesh/mesh";

/**
 * A spool segment's text (newline-delimited JSON lines: events and the shared parts they name) as the control
 * plane reads it: its events, each whole, in order. Throws when a line is not JSON or an event names a part the
 * segment does not define before it.
 */
export function spoolEvents(text: string): Record<string, unknown>[] {
  const elements = text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as unknown);
  const resolved = resolveAuditParts(elements);
  if (!resolved.ok) throw new Error(resolved.error);
  return resolved.events;
}
