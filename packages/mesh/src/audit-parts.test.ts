import { describe, expect, it } from "vitest";
import { MAX_AUDIT_BATCH_ELEMENTS, resolveAuditParts } from "./audit-parts";

describe("resolveAuditParts", () => {
  it("gives each event its part's members, its own winning, and leaves whole events as they are", () => {
    const r = resolveAuditParts([
      { part: 0, statement: "SELECT 1", decision: "allowed", rows: 99 },
      { id: "a", part: 0, rows: 1 },
      { id: "b", statement: "SELECT 2" },
      { part: 0, statement: "SELECT 3" },
      { id: "c", part: 0 },
    ]);
    expect(r).toEqual({
      ok: true,
      events: [{ statement: "SELECT 1", decision: "allowed", rows: 1, id: "a" }, { id: "b", statement: "SELECT 2" }, { statement: "SELECT 3", id: "c" }],
      elementIndex: [1, 2, 4],
    });
  });

  it("fails on an event naming a part defined only after it, a bad part number, or an element that is not an object", () => {
    expect(resolveAuditParts([{ id: "a", part: 1 }, { part: 1 }])).toEqual({ ok: false, error: "events.0.part: no part 1 is defined before this event in the batch" });
    expect(resolveAuditParts([{ part: "1" }])).toMatchObject({ ok: false, error: /events\.0\.part/ });
    expect(resolveAuditParts([{ part: 1.5 }])).toMatchObject({ ok: false });
    expect(resolveAuditParts([{ id: "a" }, null])).toEqual({ ok: false, error: "events.1: not an object" });
    expect(resolveAuditParts([[]])).toMatchObject({ ok: false });
    expect(resolveAuditParts(Array.from({ length: MAX_AUDIT_BATCH_ELEMENTS + 1 }, (_, i) => ({ id: String(i) })))).toMatchObject({ ok: false });
  });
});
