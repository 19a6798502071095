import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Caller, type Harness } from "./testing/harness";

let h: Harness;
let dba: Caller;
let dbaEmail: string;
const PASSWORD = "Endpoint-S3cret-never-shown";

beforeAll(async () => {
  h = await createHarness();
  const u = await h.createUser("DBA", "dba@example.test");
  dbaEmail = u.email;
  dba = await h.callerFor(new Request("http://127.0.0.1/api/trpc", { headers: { authorization: `Bearer ${u.token}`, "x-forwarded-for": "10.9.8.7" } }));
});
afterAll(() => h?.close());

const auditCount = () => h.tdb.db.auditEvent.count();
const revision = async () => Number((await h.tdb.db.meshState.findUniqueOrThrow({ where: { id: 1 } })).revision);

describe("mesh CRUD, each kind", () => {
  it("creates, reads, updates and deletes every kind, bumping the revision and writing an audit row each time", async () => {
    const rev0 = await revision();
    const env = await dba.environment.create({ name: "qa", description: "quality", production: false });
    const ep = await dba.endpoint.create({
      name: "pg-qa-1", environment: "qa", protocol: "POSTGRESQL", host: "127.0.0.1", port: 5432,
      database: "postgres", username: "postgres", password: PASSWORD, role: "PRIMARY", weight: 2, labels: { app: "qa" },
    });
    const ts = await dba.trafficStrategy.create({ name: "qa-rw", loadBalance: "weighted", readWriteSplitting: { enabled: true, defaultTarget: "replica", rules: [] } });
    const vdb = await dba.virtualDatabase.create({ name: "qa-app", environment: "qa", trafficStrategy: "qa-rw", backends: ["pg-qa-1"], backendSelector: {} });
    const ar = await dba.accessRule.create({ name: "qa-read", virtualDatabase: "qa-app", operations: ["select"], tables: ["public.*"], effect: "ALLOW" });
    expect(await revision()).toBe(rev0 + 5);

    const got = await dba.endpoint.get({ id: ep.id });
    expect(got).toMatchObject({ name: "pg-qa-1", environment: "qa", port: 5432, weight: 2, hasPassword: true, labels: { app: "qa" } });
    const vdbView = await dba.virtualDatabase.get({ id: vdb.id });
    expect(vdbView.resolvedBackends).toEqual([{ name: "pg-qa-1", role: "PRIMARY" }]);
    expect(vdbView.trafficStrategy).toBe("qa-rw");
    expect((await dba.trafficStrategy.get({ id: ts.id })).usedBy).toEqual(["qa-app"]);
    expect((await dba.accessRule.list()).map((r) => r.name)).toContain("qa-read");
    expect((await dba.environment.list()).map((e) => e.name)).toContain("qa");

    // Update without a password keeps the stored one.
    const before = await h.tdb.db.databaseEndpoint.findUniqueOrThrow({ where: { id: ep.id } });
    await dba.endpoint.update({ id: ep.id, data: { ...got, port: 6543, password: undefined } });
    const after = await h.tdb.db.databaseEndpoint.findUniqueOrThrow({ where: { id: ep.id } });
    expect(after.port).toBe(6543);
    expect(after.passwordEnc).toBe(before.passwordEnc);
    await dba.trafficStrategy.update({ id: ts.id, data: { name: "qa-rw", loadBalance: "least_connections" } });
    expect((await dba.trafficStrategy.get({ id: ts.id })).loadBalance).toBe("least_connections");
    await dba.accessRule.update({ id: ar.id, data: { name: "qa-read", virtualDatabase: "qa-app", operations: ["select", "insert"], tables: ["public.orders"], effect: "DENY" } });
    expect((await dba.accessRule.get({ id: ar.id })).effect).toBe("DENY");
    await dba.virtualDatabase.update({ id: vdb.id, data: { name: "qa-app", environment: "qa", trafficStrategy: null, backends: [], backendSelector: { app: "qa" } } });
    expect((await dba.virtualDatabase.get({ id: vdb.id })).resolvedBackends.map((b) => b.name)).toEqual(["pg-qa-1"]);
    await dba.environment.update({ id: env.id, data: { name: "qa", description: "QA", production: true } });

    // Referenced objects cannot be deleted out from under their users.
    await expect(dba.environment.delete({ id: env.id })).rejects.toThrow(/still used by/);
    await dba.accessRule.delete({ id: ar.id });
    await dba.virtualDatabase.delete({ id: vdb.id });
    await dba.trafficStrategy.delete({ id: ts.id });
    await dba.endpoint.delete({ id: ep.id });
    await dba.environment.delete({ id: env.id });
    expect(await revision()).toBe(rev0 + 15);

    const events = await h.tdb.db.auditEvent.findMany({ where: { actorEmail: dbaEmail }, orderBy: { id: "asc" } });
    expect(events.map((e) => e.action)).toEqual([
      "environment.create", "endpoint.create", "traffic_strategy.create", "virtual_database.create", "access_rule.create",
      "endpoint.update", "traffic_strategy.update", "access_rule.update", "virtual_database.update", "environment.update",
      "access_rule.delete", "virtual_database.delete", "traffic_strategy.delete", "endpoint.delete", "environment.delete",
    ]);
    expect(events.every((e) => e.ip === "10.9.8.7" && e.actorKind === "token")).toBe(true);
    const epUpdate = events.find((e) => e.action === "endpoint.update")!;
    expect(epUpdate.before).toMatchObject({ port: 5432 });
    expect(epUpdate.after).toMatchObject({ port: 6543 });
    expect((await h.tdb.db.$queryRaw<unknown[]>`SELECT * FROM audit_verify_chain()`)).toEqual([]);
  });

  it("refuses bad input with field errors and saves nothing", async () => {
    await dba.environment.create({ name: "bad-input-env" });
    const audits = await auditCount();
    const rev = await revision();
    const base = { name: "pg-bad", environment: "bad-input-env", host: "127.0.0.1", port: 5432, database: "d", username: "u" };
    await expect(dba.endpoint.create({ ...base, port: 70000 })).rejects.toThrow(/port must be between 1 and 65535/);
    await expect(dba.endpoint.create({ ...base, name: "" })).rejects.toThrow(/name is required/);
    await expect(dba.endpoint.create({ ...base, environment: "nope" })).rejects.toThrow(/environment "nope" does not exist/);
    await dba.endpoint.create(base);
    await expect(dba.endpoint.create(base)).rejects.toThrow(/an endpoint named "pg-bad" already exists/);
    await expect(
      dba.trafficStrategy.create({ name: "bad-regex", circuitBreaks: [{ name: "b", regex: ["(unclosed"] }] }),
    ).rejects.toThrow(/not a valid regular expression/);
    expect(await auditCount()).toBe(audits + 1);
    expect(await revision()).toBe(rev + 1);
    expect(await h.tdb.db.databaseEndpoint.count({ where: { name: "pg-bad" } })).toBe(1);
  });
});

describe("transactions and the audit log", () => {
  it("a mutation that fails part-way leaves no audit row and no change", async () => {
    await dba.environment.create({ name: "txn" });
    await dba.endpoint.create({ name: "pg-txn", environment: "txn", host: "127.0.0.1", port: 5432, database: "d", username: "u" });
    await dba.virtualDatabase.create({ name: "txn-vdb", environment: "txn", backends: ["pg-txn"] });
    const audits = await auditCount();
    const rev = await revision();
    // The import creates an environment first, then must delete pg-txn (prune) which is still a
    // backend: the delete fails, so the earlier create must roll back with its audit row.
    const yaml = (await dba.mesh.exportYaml()).yaml
      .replace(/name: pg-txn\n/, "name: pg-txn-renamed\n")
      + "\n---\napiVersion: dbmesh.io/v1alpha1\nkind: Environment\nmetadata:\n  name: brand-new\nspec: {}\n";
    await expect(dba.mesh.applyImport({ yaml, prune: true })).rejects.toThrow();
    expect(await auditCount()).toBe(audits);
    expect(await revision()).toBe(rev);
    expect(await h.tdb.db.environment.count({ where: { name: "brand-new" } })).toBe(0);
  });

  it("the database refuses UPDATE and DELETE on audit_event", async () => {
    await expect(h.tdb.db.$executeRawUnsafe("UPDATE audit_event SET action = 'forged'")).rejects.toThrow(/append-only/);
    await expect(h.tdb.db.$executeRawUnsafe("DELETE FROM audit_event")).rejects.toThrow(/append-only/);
    await expect(h.tdb.db.$executeRawUnsafe("TRUNCATE audit_event")).rejects.toThrow(/append-only/);
  });
});

describe("secrets", () => {
  it("never appear in an API response, an export or the audit log, and are encrypted at rest", async () => {
    await dba.environment.create({ name: "secrets" });
    const ep = await dba.endpoint.create({
      name: "pg-secret", environment: "secrets", host: "127.0.0.1", port: 5432, database: "d", username: "u", password: PASSWORD,
    });
    await dba.virtualDatabase.create({ name: "secret-vdb", environment: "secrets", backends: ["pg-secret"] });
    const stored = await h.tdb.db.databaseEndpoint.findUniqueOrThrow({ where: { id: ep.id } });
    expect(stored.passwordEnc).toMatch(/^v1:/);
    expect(stored.passwordEnc).not.toContain(PASSWORD);
    const admin = await h.as("ADMIN");
    const responses = await Promise.all([
      admin.endpoint.list(), admin.endpoint.get({ id: ep.id }), admin.virtualDatabase.list(), admin.mesh.exportYaml(),
      admin.audit.list({ limit: 500 }), admin.mesh.overview(),
    ]);
    const text = JSON.stringify(responses);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(stored.passwordEnc!);
    expect(text).not.toMatch(/passwordEnc|password_enc/);
    expect(responses[3].yaml).toContain("pg-secret");
    expect(responses[3].yaml).not.toMatch(/^\s*password:/m);
    const rows = await h.tdb.db.$queryRaw<{ t: string }[]>`SELECT row_to_json(a)::text AS t FROM audit_event a`;
    expect(rows.map((r) => r.t).join("\n")).not.toContain(PASSWORD);
  });
});
