import { demoMesh, exportMeshYaml } from "@dbmesh/mesh";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoMeshFor, seedAdmin, seedDemoAccess, seedDemoMesh, systemContext } from "./seed/demo";
import { scramVerifierMatches } from "./crypto/scram";
import { createHarness, type Caller, type Harness } from "./testing/harness";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let h: Harness;
let dba: Caller;
beforeAll(async () => {
  h = await createHarness();
  dba = await h.as("DBA");
});
afterAll(() => h?.close());

describe("YAML import", () => {
  it("previews a diff, applies it in one transaction, and exports it back the same", async () => {
    const yaml = exportMeshYaml(demoMesh);
    const preview = await dba.mesh.previewImport({ yaml, prune: false });
    expect(preview.ok).toBe(true);
    expect(preview.summary).toEqual({
      create: demoMesh.environments.length + demoMesh.endpoints.length + demoMesh.trafficStrategies.length + demoMesh.virtualDatabases.length + demoMesh.accessRules.length,
      update: 0,
      delete: 0,
      unchanged: 0,
    });
    expect(await h.tdb.db.virtualDatabase.count()).toBe(0); // a preview changes nothing

    const applied = await dba.mesh.applyImport({ yaml, prune: false, baseRevision: preview.baseRevision });
    expect(applied.summary.create).toBe(preview.summary.create);
    expect(await h.tdb.db.auditEvent.count({ where: { action: "mesh.import" } })).toBe(1);

    const again = await dba.mesh.previewImport({ yaml, prune: false });
    expect(again.summary).toMatchObject({ create: 0, update: 0, delete: 0 });
    const exported = (await dba.mesh.exportYaml()).yaml;
    expect(exported).toBe(yaml);
  });

  it("refuses an apply whose preview is out of date", async () => {
    const yaml = (await dba.mesh.exportYaml()).yaml.replace("maxConcurrency: 50", "maxConcurrency: 60");
    const preview = await dba.mesh.previewImport({ yaml, prune: false });
    expect(preview.changes.filter((c) => c.op === "update").map((c) => c.name)).toEqual(["shop-default"]);
    await dba.environment.create({ name: "moved-on" });
    await expect(dba.mesh.applyImport({ yaml, prune: false, baseRevision: preview.baseRevision })).rejects.toThrow(/changed since the preview/);
  });

  it("reports invalid YAML as readable errors and applies nothing", async () => {
    const bad = "apiVersion: core.database-mesh.io/v1alpha1\nkind: DatabaseEndpoint\nmetadata:\n  name: pg-bad\nspec:\n  database:\n    PostgreSQL: {host: h, port: 70000, user: u, db: d}\n";
    const preview = await dba.mesh.previewImport({ yaml: bad, prune: false });
    expect(preview.ok).toBe(false);
    expect(preview.errors.map((e) => e.message).join(" ")).toMatch(/port must be between 1 and 65535/);
    await expect(dba.mesh.applyImport({ yaml: bad, prune: false })).rejects.toThrow(/not valid/);
  });
});

describe("the demo seed", () => {
  it("creates the demo mesh and admin once; a second run changes nothing and keeps the login", async () => {
    const fresh = await createHarness();
    try {
      const ctx = systemContext(fresh.tdb.db, fresh.env);
      const home = mkdtempSync(join(tmpdir(), "dbmesh-seed-"));
      const mesh = demoMeshFor("postgresql://postgres@127.0.0.1:5432/dbmesh_demo");
      expect(await seedDemoMesh(ctx, mesh)).toBeGreaterThan(5);
      const first = await seedAdmin(ctx, home);
      const access = await seedDemoAccess(ctx, home, ["demo"]);
      const audits = await fresh.tdb.db.auditEvent.count();
      const revision = await fresh.tdb.db.meshState.findUniqueOrThrow({ where: { id: 1 } });
      expect(await seedDemoMesh(ctx, mesh)).toBe(0);
      const second = await seedAdmin(ctx, home);
      expect(second).toEqual(first);
      expect(await seedDemoAccess(ctx, home, ["demo"])).toEqual(access);
      expect((await fresh.tdb.db.meshState.findUniqueOrThrow({ where: { id: 1 } })).revision).toBe(revision.revision);
      const cred = await fresh.tdb.db.credential.findUniqueOrThrow({ where: { name: "demo_app" }, include: { grants: true } });
      expect(scramVerifierMatches(access.password, cred.scramVerifier)).toBe(true);
      expect(cred.grants).toHaveLength(1);
      expect(readFileSync(join(home, "agent.env"), "utf8")).toContain(`DBMESH_AGENT_TOKEN=${access.agentToken}`);
      expect(await fresh.tdb.db.auditEvent.count()).toBe(audits);
      expect(readFileSync(join(home, "demo.env"), "utf8")).toContain(`DBMESH_ADMIN_TOKEN=${first.DBMESH_ADMIN_TOKEN}`);
      const viaToken = await fresh.callerFor(new Request("http://x/api/trpc", { headers: { authorization: `Bearer ${first.DBMESH_ADMIN_TOKEN}` } }));
      expect((await viaToken.virtualDatabase.list()).map((v) => v.name)).toContain("demo");
    } finally {
      await fresh.close();
    }
  });
});
