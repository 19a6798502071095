import { describe, expect, it } from "vitest";
import { diffMesh, MeshChange } from "./diff";
import { demoMesh } from "./fixtures/demo-mesh";
import { DatabaseEndpoint, type MeshDefinition } from "./schemas";

function demoWith(change: (mesh: MeshDefinition) => void): MeshDefinition {
  const mesh = structuredClone(demoMesh);
  change(mesh);
  return mesh;
}

const SECRET = "n3w-Pa55word-for-pg";
const summary = (changes: MeshChange[]) => changes.map((c) => `${c.op} ${c.kind}/${c.name}${c.fields.length ? ` [${c.fields.join(",")}]` : ""}`);

describe("diffMesh", () => {
  it("finds nothing to do between a mesh and itself", () => {
    const changes = diffMesh(demoMesh, structuredClone(demoMesh), { prune: true });
    expect(changes).toHaveLength(10);
    expect(changes.every((c) => c.op === "unchanged" && c.fields.length === 0)).toBe(true);
  });

  it("lists creates, updates and unchanged resources by kind order, then name", () => {
    const desired = demoWith((m) => {
      m.endpoints.push(
        DatabaseEndpoint.parse({ name: "pg-archive", environment: "dev", host: "127.0.0.1", port: 5433, database: "archive", username: "postgres" }),
      );
      m.endpoints[0]!.port = 6432;
      m.virtualDatabases[0]!.description = "renamed shop";
      m.virtualDatabases[0]!.backendSelector = { app: "shop", tier: "primary" };
      m.environments.reverse();
    });
    expect(summary(diffMesh(demoMesh, desired, { prune: false }))).toEqual([
      "unchanged Environment/dev",
      "unchanged Environment/prod",
      "unchanged Environment/staging",
      "create DatabaseEndpoint/pg-archive",
      "update DatabaseEndpoint/pg-main [port]",
      "unchanged DatabaseEndpoint/pg-replica",
      "unchanged TrafficStrategy/shop-default",
      "update VirtualDatabase/demo [description,backendSelector]",
      "unchanged AccessRule/demo-app-write",
      "unchanged AccessRule/demo-deny-audit",
      "unchanged AccessRule/demo-read-all",
    ]);
  });

  it("shows the resource before and after an update", () => {
    const desired = demoWith((m) => (m.trafficStrategies[0]!.connectionPool.maxSize = 50));
    const change = diffMesh(demoMesh, desired, { prune: false }).find((c) => c.kind === "TrafficStrategy");
    expect(change).toMatchObject({ op: "update", fields: ["connectionPool"] });
    expect(change?.before).toMatchObject({ connectionPool: { maxSize: 20 } });
    expect(change?.after).toMatchObject({ connectionPool: { maxSize: 50 } });
  });

  it("sees a reordered rule list as a change, since rules apply in order", () => {
    const desired = demoWith((m) => {
      const s = m.trafficStrategies[0]!;
      s.circuitBreaks = [...s.circuitBreaks, { name: "no-truncate", regex: ["^truncate"], statementKinds: [], tables: [], operations: [] }].reverse();
    });
    expect(diffMesh(demoMesh, desired, { prune: false }).find((c) => c.kind === "TrafficStrategy")?.fields).toEqual(["circuitBreaks"]);
  });

  it("ignores the order of label keys", () => {
    const desired = demoWith((m) => (m.endpoints[0]!.labels = { tier: "primary", app: "shop" }));
    expect(diffMesh(demoMesh, desired, { prune: false }).find((c) => c.name === "pg-main")?.op).toBe("unchanged");
  });

  it("deletes what the desired mesh lacks only with prune", () => {
    const desired = demoWith((m) => {
      m.accessRules = m.accessRules.filter((r) => r.name !== "demo-deny-audit");
      m.environments = m.environments.filter((e) => e.name !== "staging");
    });
    const kept = diffMesh(demoMesh, desired, { prune: false });
    expect(kept.some((c) => c.op === "delete")).toBe(false);
    expect(kept.map((c) => c.name)).not.toContain("demo-deny-audit");

    const pruned = diffMesh(demoMesh, desired, { prune: true }).filter((c) => c.op === "delete");
    expect(summary(pruned)).toEqual(["delete Environment/staging", "delete AccessRule/demo-deny-audit"]);
    expect(pruned[1]?.before).toMatchObject({ name: "demo-deny-audit", effect: "DENY" });
    expect(pruned[1]?.after).toBeUndefined();
  });

  it("treats a rename as a delete and a create", () => {
    const desired = demoWith((m) => (m.environments[1]!.name = "stage"));
    const changes = summary(diffMesh(demoMesh, desired, { prune: true })).filter((s) => s.includes("Environment/stag"));
    expect(changes).toEqual(["create Environment/stage", "delete Environment/staging"]);
  });

  it("counts a given password as an update of `password`, without showing it", () => {
    const current = demoWith((m) => (m.endpoints[0]!.password = "old-secret-value"));
    const desired = demoWith((m) => (m.endpoints[0]!.password = SECRET));
    const changes = diffMesh(current, desired, { prune: false });
    expect(changes.find((c) => c.name === "pg-main")).toMatchObject({ op: "update", fields: ["password"] });
    const json = JSON.stringify(changes);
    expect(json).not.toContain(SECRET);
    expect(json).not.toContain("old-secret-value");
    const update = changes.find((c) => c.name === "pg-main");
    expect(update?.before).not.toHaveProperty("password");
    expect(update?.after).not.toHaveProperty("password");
  });

  it("keeps the current password when the desired endpoint has none", () => {
    const current = demoWith((m) => (m.endpoints[0]!.password = "old-secret-value"));
    const changes = diffMesh(current, demoMesh, { prune: false });
    expect(changes.find((c) => c.name === "pg-main")?.op).toBe("unchanged");
  });

  it("creates an endpoint without putting its password in the change", () => {
    const desired = demoWith((m) =>
      m.endpoints.push(
        DatabaseEndpoint.parse({ name: "pg-new", environment: "dev", host: "db", port: 5432, database: "d", username: "u", password: SECRET }),
      ),
    );
    const create = diffMesh(demoMesh, desired, { prune: false }).find((c) => c.op === "create");
    expect(create).toMatchObject({ kind: "DatabaseEndpoint", name: "pg-new", fields: [] });
    expect(create?.after).not.toHaveProperty("password");
    expect(JSON.stringify(create)).not.toContain(SECRET);
  });

  it("produces changes that satisfy the MeshChange schema the API returns", () => {
    const desired = demoWith((m) => {
      m.endpoints[0]!.weight = 5;
      m.accessRules.pop();
    });
    for (const change of diffMesh(demoMesh, desired, { prune: true })) {
      expect(MeshChange.safeParse(change).success).toBe(true);
    }
  });
});
