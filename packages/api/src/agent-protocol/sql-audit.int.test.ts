import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logger } from "../logger";
import { sqlAuditCsvStream } from "../services/sql-audit";
import { createHarness, type Caller, type Harness } from "../testing/harness";
import { AgentProtocol } from "./handlers";

let h: Harness;
let auditor: Caller;
let protocol: AgentProtocol;
let token: string;

const post = (body: unknown, t = token) =>
  protocol.audit(new Request("http://127.0.0.1:3000/api/agent/v1/audit", { method: "POST", headers: { authorization: `Bearer ${t}` }, body: JSON.stringify(body) }));

function event(over: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    virtualDatabase: "demo",
    credential: "demo_app",
    clientAddress: "127.0.0.1:50000",
    applicationName: "psql",
    statement: "SELECT * FROM public.orders WHERE id = $1",
    fingerprint: "fp-orders-by-id",
    kind: "select",
    tables: [{ schema: "public", name: "orders", operation: "select" }],
    decision: "allowed",
    rule: "demo-read-all",
    backend: "pg-main",
    durationUs: 420,
    rows: 1,
    sqlstate: null,
    ...over,
  };
}

beforeAll(async () => {
  h = await createHarness();
  auditor = await h.as("AUDITOR");
  protocol = new AgentProtocol({ db: h.tdb.db, env: h.env, log: logger });
  token = (await (await h.as("DBA")).agent.create({ name: "audit-agent" })).token;
});
afterAll(async () => {
  await protocol?.stop();
  await h?.close();
});

describe("POST /api/agent/v1/audit", () => {
  it("stores a batch once, however often it is resent", async () => {
    const batch = { events: Array.from({ length: 25 }, () => event()) };
    const first = await post(batch);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ accepted: 25, duplicates: 0 });
    const again = await post(batch);
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 25 });
    expect(await h.tdb.db.sqlAuditEvent.count({ where: { agentName: "audit-agent" } })).toBe(25);
  });

  it("refuses a bad token and a malformed batch, storing nothing", async () => {
    const before = await h.tdb.db.sqlAuditEvent.count();
    expect((await post({ events: [event()] }, "dbmag_nope")).status).toBe(401);
    const bad = await post({ events: [event({ decision: "maybe" })] });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/decision/);
    expect(await h.tdb.db.sqlAuditEvent.count()).toBe(before);
  });

  it("resolves shared parts: an event naming a part is stored whole, once, like a whole event", async () => {
    const whole = event({ statement: "SELECT * FROM public.items WHERE sku = $1", fingerprint: "fp-items-by-sku", applicationName: "shop" });
    const { id: _id, occurredAt: _at, durationUs: _d, rows: _r, sqlstate: _s, ...shared } = whole;
    const t = new Date().toISOString();
    const compact = [1, 2, 3].map((n) => ({ id: `evt-part-${n}`, occurredAt: t, part: 7, durationUs: n * 10, rows: n, sqlstate: n === 3 ? "57014" : null }));
    const body = { events: [{ part: 7, ...shared }, compact[0], compact[1], event({ id: "evt-part-whole" }), compact[2]] };
    expect(await (await post(body)).json()).toEqual({ accepted: 4, duplicates: 0 });
    expect(await (await post(body)).json()).toEqual({ accepted: 0, duplicates: 4 });
    const rows = await h.tdb.db.sqlAuditEvent.findMany({ where: { eventId: { startsWith: "evt-part-" } }, orderBy: { eventId: "asc" } });
    expect(rows.map((r) => [r.eventId, r.statement, r.applicationName, r.decision, r.backend, Number(r.durationUs), Number(r.rowCount), r.sqlstate])).toEqual([
      ["evt-part-1", whole.statement, "shop", "allowed", "pg-main", 10, 1, null],
      ["evt-part-2", whole.statement, "shop", "allowed", "pg-main", 20, 2, null],
      ["evt-part-3", whole.statement, "shop", "allowed", "pg-main", 30, 3, "57014"],
      ["evt-part-whole", "SELECT * FROM public.orders WHERE id = $1", "psql", "allowed", "pg-main", 420, 1, null],
    ]);
    expect(rows[0]!.tables).toEqual([{ schema: "public", name: "orders", operation: "select" }]);
  });

  it("refuses a batch whose event names a part not defined before it, or whose part is bad, naming the element", async () => {
    const before = await h.tdb.db.sqlAuditEvent.count();
    const { id: _id, occurredAt: _at, durationUs: _d, rows: _r, sqlstate: _s, ...shared } = event();
    const t = new Date().toISOString();
    const early = await post({ events: [event(), { id: "evt-early", occurredAt: t, part: 1, durationUs: 1, rows: 1, sqlstate: null }, { part: 1, ...shared }] });
    expect(early.status).toBe(400);
    expect(await early.text()).toMatch(/events\.1\.part: no part 1 is defined before this event/);
    const badPart = await post({ events: [event(), { part: 2, ...shared, decision: "maybe" }, { id: "evt-bad-part", occurredAt: t, part: 2, durationUs: 1, rows: 1, sqlstate: null }] });
    expect(badPart.status).toBe(400);
    expect(await badPart.text()).toMatch(/events\.2\.decision/);
    expect((await post({ events: [{ part: -1, ...shared }] })).status).toBe(400);
    expect((await post({ events: ["not an event"] })).status).toBe(400);
    expect(await h.tdb.db.sqlAuditEvent.count()).toBe(before);
  });

  it("keeps an event whose day has no partition in the default partition", async () => {
    const long = new Date("2001-01-01T00:00:00Z");
    expect(await (await post({ events: [event({ occurredAt: long.toISOString(), id: "evt-2001" })] })).json()).toEqual({ accepted: 1, duplicates: 0 });
    const rows = await h.tdb.db.$queryRaw<{ t: string }[]>`SELECT tableoid::regclass::text AS t FROM sql_audit_event WHERE event_id = 'evt-2001'`;
    expect(rows[0]!.t).toBe("sql_audit_event_default");
  });
});

describe("the SQL audit browser's queries", () => {
  beforeAll(async () => {
    const t0 = Date.now() - 10 * 60_000;
    await post({
      events: Array.from({ length: 300 }, (_, i) =>
        event({
          occurredAt: new Date(t0 + i * 1000).toISOString(),
          credential: i % 3 === 0 ? "reporting" : "demo_app",
          decision: i % 10 === 0 ? "denied" : "allowed",
          rule: i % 10 === 0 ? "demo-no-ddl" : "demo-read-all",
          statement: i % 10 === 0 ? "DROP TABLE public.customers" : "UPDATE public.orders SET status = $1 WHERE id = $2",
          fingerprint: i % 10 === 0 ? "fp-drop" : "fp-update-orders",
          kind: i % 10 === 0 ? "ddl" : "update",
          tables: i % 10 === 0 ? [{ schema: "public", name: "customers", operation: "ddl" }] : [{ schema: "public", name: "orders", operation: "update" }],
        }),
      ),
    });
  });

  it("pages newest first through every matching row once", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await auditor.sqlAudit.list({ credential: "demo_app", limit: 37, cursor });
      seen.push(...page.items.map((r) => r.id));
      expect(page.items.every((r) => r.credential === "demo_app")).toBe(true);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(await h.tdb.db.sqlAuditEvent.count({ where: { credential: "demo_app" } }));
  });

  it("filters by decision, operation, table, fingerprint and text", async () => {
    const denied = await auditor.sqlAudit.list({ decision: "denied", limit: 500 });
    expect(denied.items).toHaveLength(30);
    expect(denied.items.every((r) => r.rule === "demo-no-ddl")).toBe(true);
    expect((await auditor.sqlAudit.list({ operation: "ddl", limit: 500 })).items).toHaveLength(30);
    expect((await auditor.sqlAudit.list({ table: "public.customers", limit: 500 })).items).toHaveLength(30);
    expect((await auditor.sqlAudit.list({ table: "customers", limit: 500 })).items).toHaveLength(30);
    expect((await auditor.sqlAudit.list({ fingerprint: "fp-drop", limit: 500 })).items).toHaveLength(30);
    expect((await auditor.sqlAudit.list({ text: "drop table", limit: 500 })).items).toHaveLength(30);
  });

  it("groups by fingerprint and counts per minute", async () => {
    const from = new Date(Date.now() - 20 * 60_000);
    const groups = await auditor.sqlAudit.fingerprints({ from });
    expect(groups.find((g) => g.fingerprint === "fp-update-orders")).toMatchObject({ total: 270, denied: 0 });
    expect(groups.find((g) => g.fingerprint === "fp-drop")).toMatchObject({ total: 30, denied: 30, sample: "DROP TABLE public.customers" });
    const minutes = await auditor.sqlAudit.perMinute({ from, fingerprint: "fp-drop" });
    expect(minutes.reduce((n, m) => n + m.denied, 0)).toBe(30);
    // The table filter narrows the groups and the chart as it narrows the list.
    const byTable = await auditor.sqlAudit.fingerprints({ from, table: "public.customers" });
    expect(byTable.map((g) => g.fingerprint)).toEqual(["fp-drop"]);
    expect((await auditor.sqlAudit.perMinute({ from, table: "customers" })).reduce((n, m) => n + m.total, 0)).toBe(30);
    expect(minutes.length).toBeGreaterThanOrEqual(5);
  });

  it("exports CSV with the same filter", async () => {
    const csv = await new Response(sqlAuditCsvStream(h.tdb.db, { decision: "denied" })).text();
    const lines = csv.trim().split("\n");
    expect(lines[0]).toMatch(/^occurred_at,event_id,agent,virtual_database,credential/);
    expect(lines).toHaveLength(31);
  });

  it("is for ADMIN, DBA and AUDITOR only", async () => {
    await expect((await h.as("DEVELOPER")).sqlAudit.list({})).rejects.toThrow(/may not call sqlAudit.list/);
  });
});
