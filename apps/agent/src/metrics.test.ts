import { describe, expect, it } from "vitest";
import { AgentMetrics } from "./metrics";

// The audit event counter is read from the pipeline's totals at scrape time, not bumped per event.

function series(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = new RegExp(`^${name}\\{outcome="(\\w+)"\\} (\\d+)$`).exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

describe("AgentMetrics audit events", () => {
  it("shows no audit series until auditing is on, then the pipeline's totals at every scrape, never summed twice", async () => {
    const metrics = new AgentMetrics();
    expect(series(await metrics.registry.metrics(), "dbmesh_agent_audit_events_total")).toEqual({});
    const totals = { spooled: 0, sent: 0, dropped: 0 };
    metrics.enableAudit(() => totals, () => 0);
    expect(series(await metrics.registry.metrics(), "dbmesh_agent_audit_events_total")).toEqual({ spooled: 0, sent: 0, dropped: 0 });
    totals.spooled = 7;
    totals.sent = 5;
    expect(series(await metrics.registry.metrics(), "dbmesh_agent_audit_events_total")).toEqual({ spooled: 7, sent: 5, dropped: 0 });
    // A second scrape with nothing new says the same.
    expect(series(await metrics.registry.metrics(), "dbmesh_agent_audit_events_total")).toEqual({ spooled: 7, sent: 5, dropped: 0 });
    totals.spooled = 9;
    totals.dropped = 2;
    expect(series(await metrics.registry.metrics(), "dbmesh_agent_audit_events_total")).toEqual({ spooled: 9, sent: 5, dropped: 2 });
  });
});
