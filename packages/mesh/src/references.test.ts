import { describe, expect, it } from "vitest";
import { demoMesh } from "./fixtures/demo-mesh";
import { checkReferences } from "./references";
import { DatabaseEndpoint, type MeshDefinition } from "./schemas";

/** A deep copy of the demo mesh with one thing changed. */
function demoWith(change: (mesh: MeshDefinition) => void): MeshDefinition {
  const mesh = structuredClone(demoMesh);
  change(mesh);
  return mesh;
}

const stagingEndpoint = DatabaseEndpoint.parse({
  name: "pg-staging",
  environment: "staging",
  host: "10.0.0.7",
  port: 5432,
  database: "shop",
  username: "shop",
});

const broken: { case: string; mesh: MeshDefinition; issues: { path: string; message: string }[] }[] = [
  {
    case: "a backend that does not exist",
    mesh: demoWith((m) => m.virtualDatabases[0]!.backends.push("pg-9")),
    issues: [{ path: "virtualDatabases.0.backends.1", message: 'virtual database "demo": backend endpoint "pg-9" does not exist' }],
  },
  {
    case: "a backend in another environment",
    mesh: demoWith((m) => {
      m.endpoints.push(stagingEndpoint);
      m.virtualDatabases[0]!.backends = ["pg-staging"];
    }),
    issues: [
      {
        path: "virtualDatabases.0.backends.0",
        message: 'virtual database "demo": backend endpoint "pg-staging" is in environment "staging", not "dev"',
      },
    ],
  },
  {
    case: "an endpoint in a missing environment",
    mesh: demoWith((m) => (m.endpoints[1]!.environment = "qa")),
    issues: [{ path: "endpoints.1.environment", message: 'endpoint "pg-replica": environment "qa" does not exist' }],
  },
  {
    case: "a virtual database in a missing environment",
    mesh: demoWith((m) => {
      m.virtualDatabases[0]!.environment = "qa";
      m.virtualDatabases[0]!.backends = [];
    }),
    issues: [{ path: "virtualDatabases.0.environment", message: 'virtual database "demo": environment "qa" does not exist' }],
  },
  {
    case: "a missing traffic strategy",
    mesh: demoWith((m) => (m.virtualDatabases[0]!.trafficStrategy = "fast")),
    issues: [{ path: "virtualDatabases.0.trafficStrategy", message: 'virtual database "demo": traffic strategy "fast" does not exist' }],
  },
  {
    case: "an access rule for a missing virtual database",
    mesh: demoWith((m) => (m.accessRules[2]!.virtualDatabase = "billing")),
    issues: [{ path: "accessRules.2.virtualDatabase", message: 'access rule "demo-app-write": virtual database "billing" does not exist' }],
  },
  {
    case: "two endpoints with one name",
    mesh: demoWith((m) => m.endpoints.push({ ...m.endpoints[0]!, port: 5433 })),
    issues: [{ path: "endpoints.2.name", message: 'endpoint "pg-main" is defined more than once' }],
  },
  {
    case: "two environments with one name",
    mesh: demoWith((m) => m.environments.push({ name: "dev", description: "", production: false })),
    issues: [{ path: "environments.3.name", message: 'environment "dev" is defined more than once' }],
  },
  {
    case: "two access rules with one name",
    mesh: demoWith((m) => m.accessRules.push({ ...m.accessRules[0]! })),
    issues: [{ path: "accessRules.3.name", message: 'access rule "demo-read-all" is defined more than once' }],
  },
];

describe("checkReferences", () => {
  it("finds nothing wrong with the demo mesh", () => {
    expect(checkReferences(demoMesh)).toEqual([]);
  });

  it.each(broken)("reports $case", ({ mesh, issues }) => {
    expect(checkReferences(mesh)).toEqual(issues);
  });

  it("lets different kinds share a name", () => {
    const mesh = demoWith((m) => {
      m.trafficStrategies[0]!.name = "demo";
      m.virtualDatabases[0]!.trafficStrategy = "demo";
    });
    expect(checkReferences(mesh)).toEqual([]);
  });

  it("does not require selector matches to exist: an endpoint can be added later", () => {
    const mesh = demoWith((m) => (m.virtualDatabases[0]!.backendSelector = { app: "nothing-yet" }));
    expect(checkReferences(mesh)).toEqual([]);
  });

  it("reports every problem at once", () => {
    const mesh = demoWith((m) => {
      m.virtualDatabases[0]!.trafficStrategy = "fast";
      m.virtualDatabases[0]!.backends = ["pg-8", "pg-9"];
    });
    expect(checkReferences(mesh).map((i) => i.path)).toEqual([
      "virtualDatabases.0.trafficStrategy",
      "virtualDatabases.0.backends.0",
      "virtualDatabases.0.backends.1",
    ]);
  });
});
