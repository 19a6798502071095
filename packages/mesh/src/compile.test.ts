import { describe, expect, it } from "vitest";
import { AgentConfig, compile, MeshCompileError } from "./compile";
import { demoMesh } from "./fixtures/demo-mesh";
import { DatabaseEndpoint, type MeshDefinition, VirtualDatabase } from "./schemas";

function demoWith(change: (mesh: MeshDefinition) => void): MeshDefinition {
  const mesh = structuredClone(demoMesh);
  change(mesh);
  return mesh;
}

/** The same mesh, built differently: every list reversed, every object's keys in reverse order. */
function shuffled(mesh: MeshDefinition): MeshDefinition {
  const reverseKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(reverseKeys);
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
    }
    return value;
  };
  const reversed = {
    environments: [...mesh.environments].reverse(),
    endpoints: [...mesh.endpoints].reverse(),
    trafficStrategies: [...mesh.trafficStrategies].reverse(),
    virtualDatabases: [...mesh.virtualDatabases].map((v) => ({ ...v, backends: [...v.backends].reverse() })).reverse(),
    accessRules: [...mesh.accessRules].reverse(),
  };
  return reverseKeys(reversed) as MeshDefinition;
}

const endpoint = (e: Partial<DatabaseEndpoint> & { name: string }) =>
  DatabaseEndpoint.parse({ environment: "dev", host: "127.0.0.1", port: 5432, database: "dbmesh_demo", username: "postgres", ...e });

// A mesh with more to sort: two virtual databases, endpoints in two environments, passwords set.
const fleetMesh = demoWith((m) => {
  for (const e of m.endpoints) e.password = `pw-${e.name}`;
  m.endpoints.push(
    endpoint({ name: "pg-analytics", labels: { app: "shop", role: "olap" }, role: "REPLICA", weight: 3, password: "pw-a" }),
    endpoint({ name: "pg-staging", environment: "staging", labels: { app: "shop" }, host: "10.1.0.4" }),
  );
  m.virtualDatabases.push(VirtualDatabase.parse({
    name: "analytics",
    description: "",
    environment: "dev",
    trafficStrategy: null,
    backends: [],
    backendSelector: { role: "olap" },
  }));
  m.accessRules.push({
    name: "analytics-read",
    virtualDatabase: "analytics",
    credential: null,
    operations: ["select"],
    tables: ["public.orders", "reports.*", "public.orders"],
    effect: "ALLOW",
    description: "",
  });
});

describe("compile", () => {
  it("resolves the demo virtual database: direct pick plus selector, strategy inlined, rules ordered", () => {
    const config = compile({ revision: 7, mesh: demoMesh });
    expect(config.revision).toBe(7);
    expect(config.virtualDatabases).toHaveLength(1);
    const demo = config.virtualDatabases[0]!;
    expect(demo.backends).toEqual([
      {
        name: "pg-main",
        protocol: "POSTGRESQL",
        host: "127.0.0.1",
        port: 5432,
        database: "dbmesh_demo",
        user: "postgres",
        password: null,
        role: "PRIMARY",
        weight: 1,
      },
      expect.objectContaining({ name: "pg-replica", role: "REPLICA" }),
    ]);
    expect(demo.trafficStrategy).toMatchObject({
      name: "shop-default",
      loadBalance: "round_robin",
      readWriteSplitting: { enabled: true, defaultTarget: "replica" },
      connectionPool: { mode: "transaction" },
      circuitBreaks: [{ name: "no-drop", regex: ["^\\s*drop\\s"] }],
      concurrencyControls: [{ name: "select-limit", statementKinds: ["select"], maxConcurrency: 50 }],
    });
    expect(demo.trafficStrategy).not.toHaveProperty("description");
    expect(demo.accessRules.map((r) => `${r.name}:${r.table}`)).toEqual([
      "demo-app-write:public.*",
      "demo-deny-audit:audit.*",
      "demo-read-all:*",
    ]);
  });

  it("carries circuit-break tables and operations to the agent, and the agent's schema reads them back", () => {
    const mesh = structuredClone(demoMesh);
    const strategy = mesh.trafficStrategies[0]!;
    strategy.circuitBreaks = [...strategy.circuitBreaks, { name: "frozen", regex: [], statementKinds: [], tables: ["audit.*"], operations: ["delete", "update"] }];
    const config = compile({ revision: 1, mesh });
    const breaks = config.virtualDatabases.find((v) => v.name === "demo")!.trafficStrategy.circuitBreaks;
    expect(breaks).toContainEqual({ name: "frozen", regex: [], statementKinds: [], tables: ["audit.*"], operations: ["delete", "update"] });
    expect(AgentConfig.parse(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it("compiles to the same JSON whatever order the mesh is in", () => {
    for (const mesh of [demoMesh, fleetMesh]) {
      const a = JSON.stringify(compile({ revision: 1, mesh }));
      const b = JSON.stringify(compile({ revision: 1, mesh: shuffled(mesh) }));
      expect(b).toBe(a);
    }
  });

  it("has nothing time-dependent in it", () => {
    const first = JSON.stringify(compile({ revision: 2, mesh: fleetMesh }));
    const later = JSON.stringify(compile({ revision: 2, mesh: structuredClone(fleetMesh) }));
    expect(later).toBe(first);
    expect(first).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });

  it("selects by label only within the environment, deduplicated and sorted", () => {
    const config = compile({ revision: 1, mesh: fleetMesh });
    const demo = config.virtualDatabases.find((v) => v.name === "demo")!;
    // pg-main is both picked and selected (once); pg-staging has the label but lives in staging.
    expect(demo.backends.map((b) => b.name)).toEqual(["pg-analytics", "pg-main", "pg-replica"]);
    const analytics = config.virtualDatabases.find((v) => v.name === "analytics")!;
    expect(analytics.backends.map((b) => [b.name, b.weight, b.password])).toEqual([["pg-analytics", 3, "pw-a"]]);
  });

  it("needs every selector label to match", () => {
    const mesh = demoWith((m) => (m.virtualDatabases[0]!.backendSelector = { app: "shop", tier: "primary" }));
    expect(compile({ revision: 1, mesh }).virtualDatabases[0]!.backends.map((b) => b.name)).toEqual(["pg-main"]);
  });

  it("does not treat an empty selector as 'every endpoint'", () => {
    const mesh = demoWith((m) => (m.virtualDatabases[0]!.backendSelector = {}));
    expect(compile({ revision: 1, mesh }).virtualDatabases[0]!.backends.map((b) => b.name)).toEqual(["pg-main"]);
  });

  it("gives a virtual database without a strategy the default one", () => {
    const analytics = compile({ revision: 1, mesh: fleetMesh }).virtualDatabases[0]!;
    expect(analytics.name).toBe("analytics");
    expect(analytics.trafficStrategy).toEqual({
      name: "default",
      loadBalance: "round_robin",
      readWriteSplitting: { enabled: false, defaultTarget: "replica", rules: [] },
      connectionPool: {
        mode: "transaction",
        maxSize: 20,
        minIdle: 0,
        acquireTimeoutMs: 5000,
        idleTimeoutMs: 600000,
        maxLifetimeMs: 3600000,
      },
      circuitBreaks: [],
      concurrencyControls: [],
    });
  });

  it("splits a rule with several tables into one entry per table, without duplicates", () => {
    const analytics = compile({ revision: 1, mesh: fleetMesh }).virtualDatabases[0]!;
    expect(analytics.accessRules.map((r) => `${r.name}:${r.table}`)).toEqual([
      "analytics-read:public.orders",
      "analytics-read:reports.*",
    ]);
  });

  it("carries decrypted passwords but leaves them out of the digest", () => {
    const config = compile({ revision: 1, mesh: fleetMesh });
    const demo = config.virtualDatabases.find((v) => v.name === "demo")!;
    expect(demo.backends.map((b) => [b.name, b.password])).toEqual([
      ["pg-analytics", "pw-a"],
      ["pg-main", "pw-pg-main"],
      ["pg-replica", "pw-pg-replica"],
    ]);
    // The digest is shown on the fleet page: it must not move (or leak anything) when only a password does.
    const rotated = structuredClone(fleetMesh);
    for (const e of rotated.endpoints) e.password = "rotated";
    expect(compile({ revision: 1, mesh: rotated }).generatedFrom.digest).toBe(config.generatedFrom.digest);
  });

  it("changes the digest when behaviour changes", () => {
    const before = compile({ revision: 1, mesh: demoMesh }).generatedFrom.digest;
    const after = compile({ revision: 1, mesh: demoWith((m) => (m.trafficStrategies[0]!.connectionPool.maxSize = 21)) }).generatedFrom.digest;
    expect(before).toMatch(/^fnv1a64:[0-9a-f]{16}$/);
    expect(after).not.toBe(before);
  });

  it("produces a config the agent's schema accepts, and that schema refuses a broken one", () => {
    const config = compile({ revision: 4, mesh: fleetMesh });
    expect(AgentConfig.parse(JSON.parse(JSON.stringify(config)))).toEqual(config);
    const broken = structuredClone(config);
    broken.virtualDatabases[0]!.backends[0]!.port = 0;
    expect(AgentConfig.safeParse(broken).success).toBe(false);
  });

  it("refuses a mesh with dangling references", () => {
    const mesh = demoWith((m) => (m.virtualDatabases[0]!.trafficStrategy = "fast"));
    expect(() => compile({ revision: 1, mesh })).toThrow(MeshCompileError);
    expect(() => compile({ revision: 1, mesh })).toThrow('virtual database "demo": traffic strategy "fast" does not exist');
  });
});

describe("compile() credentials", () => {
  const verifier = "SCRAM-SHA-256$4096:c2FsdHNhbHQ=$c3RvcmVka2V5c3RvcmVka2V5:c2VydmVya2V5c2VydmVya2V5";
  it("keeps only grants on virtual databases that exist, sorted, and changes the digest with the verifier", () => {
    const mesh = demoMesh;
    const a = compile({ revision: 1, mesh, credentials: [{ name: "demo_app", scramVerifier: verifier, virtualDatabases: ["gone", "demo", "demo"] }] });
    expect(a.credentials).toEqual([{ name: "demo_app", scramVerifier: verifier, virtualDatabases: ["demo"] }]);
    const b = compile({ revision: 1, mesh, credentials: [{ name: "demo_app", scramVerifier: verifier.replace("c2FsdHNhbHQ=", "b3RoZXJzYWx0"), virtualDatabases: ["demo"] }] });
    expect(b.generatedFrom.digest).not.toBe(a.generatedFrom.digest);
    expect(() => compile({ revision: 1, mesh, credentials: [{ name: "x", scramVerifier: "md5abc", virtualDatabases: [] }] })).toThrow(/SCRAM-SHA-256 verifier/);
  });
});
