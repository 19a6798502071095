import { describe, expect, it } from "vitest";
import { demoMesh } from "./fixtures/demo-mesh";
import { MeshDefinition } from "./schemas";
import { exportMeshYaml, parseMeshYaml } from "./yaml";

/** What an export → import round trip must give back: the same mesh, sorted, without passwords. */
function expected(mesh: MeshDefinition): MeshDefinition {
  const byName = <T extends { name: string }>(items: T[]) => [...items].sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    environments: byName(mesh.environments),
    endpoints: byName(mesh.endpoints).map(({ password: _password, ...endpoint }) => endpoint),
    trafficStrategies: byName(mesh.trafficStrategies),
    virtualDatabases: byName(mesh.virtualDatabases),
    accessRules: byName(mesh.accessRules),
  };
}

function parsedMesh(text: string): MeshDefinition {
  const result = parseMeshYaml(text);
  if ("errors" in result) throw new Error(`expected a mesh, got:\n${result.errors.map((e) => e.message).join("\n")}`);
  return result.mesh;
}

function errorsOf(text: string) {
  const result = parseMeshYaml(text);
  if ("mesh" in result) throw new Error("expected errors, got a mesh");
  return result.errors;
}

const SECRET = "hunter2-Sup3r-secret";

// Everything the demo mesh leaves at its defaults, set to something else.
const richMesh = MeshDefinition.parse({
  environments: [
    { name: "prod", production: true },
    { name: "dev", description: "Laptops" },
  ],
  endpoints: [
    {
      name: "mysql-orders",
      environment: "prod",
      protocol: "MYSQL",
      host: "orders.db.internal",
      port: 3306,
      database: "orders",
      username: "orders_rw",
      password: SECRET,
      role: "REPLICA",
      weight: 3,
      labels: { "app.kubernetes.io/name": "orders", zone: "eu-1" },
    },
    { name: "pg-orders", environment: "prod", host: "10.0.0.5", port: 6432, database: "orders", username: "orders", password: SECRET },
  ],
  trafficStrategies: [
    {
      name: "analytics",
      description: "Long reads",
      loadBalance: "least_connections",
      readWriteSplitting: {
        enabled: false,
        defaultTarget: "primary",
        rules: [{ name: "reports", type: "regex", regex: ["^select .* from reports", "^with\\s+\\w+ as \\(", "-- route: #replica's"], target: "replica" }],
      },
      connectionPool: { mode: "session", maxSize: 5, minIdle: 1, acquireTimeoutMs: 100, idleTimeoutMs: 0, maxLifetimeMs: 60000 },
      circuitBreaks: [
        { name: "no-truncate", regex: ["^truncate"], statementKinds: ["truncate", "ddl"] },
        { name: "ledger-frozen", tables: ["finance.ledger", "audit.*"], operations: ["delete", "truncate", "ddl"] },
        { name: "no-secrets", tables: ["secrets"] },
      ],
      concurrencyControls: [{ name: "heavy", regex: ["^select .* join .* join"], maxConcurrency: 2, waitTimeoutMs: 1500 }],
    },
    { name: "weights", loadBalance: "weighted" },
    { name: "coin", loadBalance: "random" },
  ],
  virtualDatabases: [
    { name: "orders", environment: "prod", backendSelector: { "app.kubernetes.io/name": "orders" } },
    { name: "orders-pinned", environment: "prod", trafficStrategy: "weights", backends: ["pg-orders", "mysql-orders"] },
  ],
  accessRules: [
    {
      name: "ops-no-ddl",
      virtualDatabase: "orders",
      credential: "ops",
      operations: ["ddl", "truncate"],
      tables: ["public.orders", "billing.*"],
      effect: "DENY",
      description: "Schema changes go through change requests",
    },
  ],
});

describe("exportMeshYaml", () => {
  it("writes the Database Mesh spec's shape", () => {
    const text = exportMeshYaml(demoMesh);
    expect(text).toMatch(/^# Exported by dbmesh/);
    expect(text).toContain("apiVersion: core.database-mesh.io/v1alpha1\nkind: DatabaseEndpoint");
    expect(text).toContain("apiVersion: dbmesh.io/v1alpha1\nkind: Environment");
    expect(text).toContain("apiVersion: dbmesh.io/v1alpha1\nkind: AccessRule");
    expect(text).toContain("database-mesh.io/role: readwrite");
    expect(text).toContain("database-mesh.io/role: read\n");
    expect(text).toContain("    PostgreSQL:\n      host: 127.0.0.1\n      port: 5432\n      user: postgres\n      db: dbmesh_demo\n");
    expect(text).toContain("simpleLoadBalance:\n      kind: roundrobin");
    expect(text).toContain("static:\n        defaultTarget: read\n");
    expect(text).toContain("    - name: demo\n      trafficStrategy: shop-default\n      environment: dev\n");
  });

  it("orders documents by kind, then name", () => {
    const kindsAndNames = [...exportMeshYaml(demoMesh).matchAll(/^kind: (\w+)\nmetadata:\n {2}name: ([\w-]+)/gm)].map(
      (m) => `${m[1]}/${m[2]}`,
    );
    expect(kindsAndNames).toEqual([
      "Environment/dev",
      "Environment/prod",
      "Environment/staging",
      "DatabaseEndpoint/pg-main",
      "DatabaseEndpoint/pg-replica",
      "TrafficStrategy/shop-default",
      "VirtualDatabase/demo",
      "AccessRule/demo-app-write",
      "AccessRule/demo-deny-audit",
      "AccessRule/demo-read-all",
    ]);
  });

  it("is the same text whatever order the mesh is in", () => {
    const shuffled: MeshDefinition = {
      environments: [...richMesh.environments].reverse(),
      endpoints: [...richMesh.endpoints]
        .reverse()
        .map((e) => ({ ...e, labels: Object.fromEntries(Object.entries(e.labels).reverse()) })),
      trafficStrategies: [...richMesh.trafficStrategies].reverse(),
      virtualDatabases: [...richMesh.virtualDatabases].reverse(),
      accessRules: [...richMesh.accessRules].reverse(),
    };
    expect(exportMeshYaml(shuffled)).toBe(exportMeshYaml(richMesh));
  });

  it("never writes a password, even when the mesh has one", () => {
    const withPasswords = structuredClone(demoMesh);
    for (const endpoint of withPasswords.endpoints) endpoint.password = SECRET;
    const text = exportMeshYaml(withPasswords);
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/^\s*password:/m);
    expect(exportMeshYaml(richMesh)).not.toContain(SECRET);
  });
});

describe("parseMeshYaml", () => {
  it.each([
    ["the demo mesh", demoMesh],
    ["a mesh with every option set", richMesh],
    ["an empty mesh", MeshDefinition.parse({})],
  ])("round-trips %s (minus passwords)", (_name, mesh) => {
    expect(parsedMesh(exportMeshYaml(mesh))).toEqual(expected(mesh));
  });

  it("reads the spec's MySQL endpoint, password included", () => {
    const mesh = parsedMesh(`
apiVersion: dbmesh.io/v1alpha1
kind: Environment
metadata: {name: prod}
---
apiVersion: core.database-mesh.io/v1alpha1
kind: DatabaseEndpoint
metadata:
  name: mysql
  labels: {source: test, shard: 1}
  annotations:
    database-mesh.io/role: read
    dbmesh.io/environment: prod
spec:
  database:
    MySQL:
      db: test
      host: mysql.default
      password: root
      port: 3306
      user: root
`);
    expect(mesh.endpoints).toEqual([
      {
        name: "mysql",
        environment: "prod",
        protocol: "MYSQL",
        host: "mysql.default",
        port: 3306,
        database: "test",
        username: "root",
        password: "root",
        role: "REPLICA",
        weight: 1,
        labels: { source: "test", shard: "1" },
      },
    ]);
  });

  it("keeps a PostgreSQL password so an import can set it", () => {
    const text = exportMeshYaml(demoMesh).replace("user: postgres\n      db: dbmesh_demo", `user: postgres\n      password: ${SECRET}\n      db: dbmesh_demo`);
    const mesh = parsedMesh(text);
    expect(mesh.endpoints.find((e) => e.name === "pg-main")?.password).toBe(SECRET);
    expect(mesh.endpoints.find((e) => e.name === "pg-replica")?.password).toBeUndefined();
  });

  it("reads the spec's Pisanix TrafficStrategy example", () => {
    const mesh = parsedMesh(`
apiVersion: core.database-mesh.io/v1alpha1
kind: TrafficStrategy
metadata: {name: catalogue}
spec:
  selector: {matchLabels: {source: catalogue}}
  loadBalance:
    readWriteSplitting:
      static:
        defaultTarget: read
        rules: [{name: read-rule, type: regex, regex: ["^select"], target: read, algorithmName: random}]
  circuitBreaks: [{regex: ["^drop"]}]
  concurrencyControls: [{regex: ["^select"], duration: 1, maxConcurrency: 11}]
`);
    expect(mesh.trafficStrategies).toEqual([
      {
        name: "catalogue",
        description: "",
        loadBalance: "round_robin",
        readWriteSplitting: {
          enabled: true,
          defaultTarget: "replica",
          rules: [{ name: "read-rule", type: "regex", regex: ["^select"], statementKinds: [], target: "replica" }],
        },
        connectionPool: expect.objectContaining({ mode: "transaction" }),
        circuitBreaks: [{ name: "break-1", regex: ["^drop"], statementKinds: [], tables: [], operations: [] }],
        concurrencyControls: [
          { name: "concurrency-1", regex: ["^select"], statementKinds: [], maxConcurrency: 11, waitTimeoutMs: 1000 },
        ],
      },
    ]);
  });

  it("names unnamed circuit breaks around the names already taken", () => {
    const mesh = parsedMesh(`
apiVersion: core.database-mesh.io/v1alpha1
kind: TrafficStrategy
metadata: {name: guard}
spec:
  circuitBreaks: [{regex: "^drop"}, {name: break-2, regex: ["^truncate"]}, {regex: ["^alter"]}]
`);
    expect(mesh.trafficStrategies[0]?.circuitBreaks.map((b) => [b.name, b.regex])).toEqual([
      ["break-1", ["^drop"]],
      ["break-2", ["^truncate"]],
      ["break-3", ["^alter"]],
    ]);
  });

  it("turns a bare Pisanix generic rule into 'selects go to a replica'", () => {
    const mesh = parsedMesh(`
apiVersion: core.database-mesh.io/v1alpha1
kind: TrafficStrategy
metadata: {name: split}
spec:
  loadBalance:
    readWriteSplitting:
      static:
        defaultTarget: readwrite
        rules: [{name: auto, type: generic, target: readwrite, algorithmName: roundrobin}]
`);
    expect(mesh.trafficStrategies[0]?.readWriteSplitting).toEqual({
      enabled: true,
      defaultTarget: "primary",
      rules: [{ name: "auto", type: "statement", regex: [], statementKinds: ["select"], target: "replica" }],
    });
  });

  it("gives a Pisanix virtual database its strategy's endpoint selector", () => {
    const mesh = parsedMesh(`
apiVersion: dbmesh.io/v1alpha1
kind: Environment
metadata: {name: dev}
---
apiVersion: core.database-mesh.io/v1alpha1
kind: VirtualDatabase
metadata: {name: catalogue}
spec:
  services:
    - name: catalogue
      databaseMySQL: {host: 127.0.0.1, port: 3306, user: root, password: root, db: catalogue}
      trafficStrategy: catalogue
      environment: dev
---
apiVersion: core.database-mesh.io/v1alpha1
kind: TrafficStrategy
metadata: {name: catalogue}
spec:
  selector: {matchLabels: {source: catalogue}}
`);
    expect(mesh.virtualDatabases[0]).toMatchObject({ backends: [], backendSelector: { source: "catalogue" } });
  });

  it("treats an empty text as an empty mesh", () => {
    expect(parsedMesh("")).toEqual(MeshDefinition.parse({}));
    expect(parsedMesh("# nothing here\n---\n")).toEqual(MeshDefinition.parse({}));
    expect(parsedMesh("\t\n  \n")).toEqual(MeshDefinition.parse({}));
  });

  it("reports YAML syntax errors with their line", () => {
    const errors = errorsOf(
      [
        "apiVersion: dbmesh.io/v1alpha1", // 1
        "kind: Environment", // 2
        "metadata: {name: dev}", // 3
        "---", // 4
        "apiVersion: dbmesh.io/v1alpha1", // 5
        "kind: Environment", // 6
        "metadata:", // 7
        "  name: [prod", // 8
        "spec: {}", // 9
      ].join("\n"),
    );
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ path: "documents.1", line: 9 });
    expect(errors[0]?.message).toMatch(/^document 2: YAML syntax error at line 9, column \d+: /);
  });

  it("reports a duplicate key as a syntax error", () => {
    const errors = errorsOf("kind: Environment\nkind: Environment\n");
    expect(errors[0]?.message).toMatch(/^document 1: YAML syntax error at line 2, column 1: Map keys must be unique/);
  });

  it("names the document, kind, name, field and line of an invalid value", () => {
    const text = [
      "apiVersion: dbmesh.io/v1alpha1", // 1
      "kind: Environment", // 2
      "metadata: {name: dev}", // 3
      "---", // 4
      "apiVersion: dbmesh.io/v1alpha1", // 5
      "kind: Environment", // 6
      "metadata: {name: prod}", // 7
      "---", // 8
      "apiVersion: core.database-mesh.io/v1alpha1", // 9
      "kind: DatabaseEndpoint", // 10
      "metadata:", // 11
      "  name: pg-main", // 12
      "  annotations: {dbmesh.io/environment: dev}", // 13
      "spec:", // 14
      "  database:", // 15
      "    PostgreSQL:", // 16
      "      host: 127.0.0.1", // 17
      "      port: 70000", // 18
      "      user: postgres", // 19
      "      db: app", // 20
    ].join("\n");
    expect(errorsOf(text)).toEqual([
      {
        path: "documents.2.spec.database.PostgreSQL.port",
        message: 'document 3 (DatabaseEndpoint "pg-main"): spec.database.PostgreSQL.port: port must be between 1 and 65535',
        line: 18,
      },
    ]);
  });

  it("maps fields kept in annotations back to the annotation", () => {
    const errors = errorsOf(`
apiVersion: core.database-mesh.io/v1alpha1
kind: DatabaseEndpoint
metadata:
  name: pg-main
  annotations: {database-mesh.io/role: writer, dbmesh.io/weight: "0"}
spec:
  database:
    PostgreSQL: {host: 127.0.0.1, port: 5432, user: postgres, db: app}
`);
    expect(errors.map((e) => e.message)).toEqual([
      'document 1 (DatabaseEndpoint "pg-main"): metadata.annotations["database-mesh.io/role"]: role must be "readwrite" or "read"',
      'document 1 (DatabaseEndpoint "pg-main"): metadata.annotations["dbmesh.io/environment"]: environment is required: which dbmesh environment this endpoint belongs to',
      'document 1 (DatabaseEndpoint "pg-main"): metadata.annotations["dbmesh.io/weight"]: weight must be at least 1',
    ]);
  });

  it.each([
    [
      "an unknown kind",
      "apiVersion: dbmesh.io/v1alpha1\nkind: Widget\nmetadata: {name: w}\n",
      'document 1 (Widget "w"): kind: unknown kind "Widget"; dbmesh imports Environment, DatabaseEndpoint, TrafficStrategy, VirtualDatabase, AccessRule',
    ],
    [
      "a spec kind not supported yet",
      "apiVersion: core.database-mesh.io/v1alpha1\nkind: DataShard\nmetadata: {name: s}\n",
      'document 1 (DataShard "s"): kind: kind DataShard is not supported yet; dbmesh imports Environment, DatabaseEndpoint, TrafficStrategy, VirtualDatabase, AccessRule',
    ],
    [
      "a missing kind",
      "apiVersion: dbmesh.io/v1alpha1\nmetadata: {name: w}\n",
      "document 1: kind: kind is required (one of Environment, DatabaseEndpoint, TrafficStrategy, VirtualDatabase, AccessRule)",
    ],
    [
      "a wrong apiVersion",
      "apiVersion: v1\nkind: Environment\nmetadata: {name: dev}\n",
      'document 1 (Environment "dev"): apiVersion: apiVersion must be core.database-mesh.io/v1alpha1 or dbmesh.io/v1alpha1',
    ],
    ["a list instead of a resource", "- a\n- b\n", "document 1: expected a mapping with apiVersion, kind, metadata and spec"],
    [
      "both PostgreSQL and MySQL",
      "apiVersion: core.database-mesh.io/v1alpha1\nkind: DatabaseEndpoint\nmetadata: {name: e, annotations: {dbmesh.io/environment: dev}}\nspec: {database: {PostgreSQL: {host: a, port: 1, user: u, db: d}, MySQL: {host: a, port: 1, user: u, db: d}}}\n",
      'document 1 (DatabaseEndpoint "e"): spec.database: give PostgreSQL or MySQL connection settings, not both',
    ],
    [
      "a bad regex in a Pisanix circuit break",
      "apiVersion: core.database-mesh.io/v1alpha1\nkind: TrafficStrategy\nmetadata: {name: t}\nspec: {circuitBreaks: [{regex: ['(drop']}]}\n",
      'document 1 (TrafficStrategy "t"): spec.circuitBreaks.0.regex.0: not a valid regular expression',
    ],
    [
      "an unknown load balancing kind",
      "apiVersion: core.database-mesh.io/v1alpha1\nkind: TrafficStrategy\nmetadata: {name: t}\nspec: {loadBalance: {simpleLoadBalance: {kind: fastest}}}\n",
      'document 1 (TrafficStrategy "t"): spec.loadBalance.simpleLoadBalance.kind: kind must be one of roundrobin, random, leastconnections, weighted',
    ],
    [
      "an uppercase name",
      "apiVersion: dbmesh.io/v1alpha1\nkind: Environment\nmetadata: {name: Prod}\n",
      "document 1 (Environment \"Prod\"): metadata.name: name must be lowercase letters, digits, '-' or '_', starting and ending with a letter or digit",
    ],
    [
      "an access rule without operations",
      "apiVersion: dbmesh.io/v1alpha1\nkind: AccessRule\nmetadata: {name: r}\nspec: {virtualDatabase: demo, tables: ['*'], effect: allow}\n",
      'document 1 (AccessRule "r"): spec.operations: choose at least one operation',
    ],
    [
      "two services in one virtual database",
      "apiVersion: core.database-mesh.io/v1alpha1\nkind: VirtualDatabase\nmetadata: {name: v}\nspec: {services: [{name: a, environment: dev, backends: [x]}, {name: b}]}\n",
      'document 1 (VirtualDatabase "v"): spec.services: dbmesh maps one service to one virtual database; split the services into separate VirtualDatabase documents',
    ],
  ])("reports %s readably", (_case, text, message) => {
    expect(errorsOf(text).map((e) => e.message)).toEqual([message]);
  });

  it("checks references across documents, naming the document", () => {
    const text = exportMeshYaml(demoMesh).replace("        - pg-main\n", "        - pg-main\n        - pg-9\n");
    const errors = errorsOf(text);
    expect(errors).toEqual([
      {
        path: "documents.6.spec.services.0.backends.1",
        message: 'document 7: virtual database "demo": backend endpoint "pg-9" does not exist',
        line: expect.any(Number),
      },
    ]);
    expect(text.split("\n")[errors[0]!.line! - 1]).toBe("        - pg-9");
  });

  it("reports a resource defined twice", () => {
    const text = exportMeshYaml(demoMesh) + "---\napiVersion: dbmesh.io/v1alpha1\nkind: Environment\nmetadata: {name: dev}\n";
    expect(errorsOf(text).map((e) => e.message)).toEqual(['document 11: environment "dev" is defined more than once']);
  });

  it("reports every bad document, not just the first", () => {
    const errors = errorsOf("kind: Widget\n---\nkind: Gadget\n---\n{{{\n");
    expect(errors.slice(0, 2).map((e) => e.message)).toEqual([
      expect.stringMatching(/^document 1 \(Widget\): kind: unknown kind "Widget"/),
      expect.stringMatching(/^document 2 \(Gadget\): kind: unknown kind "Gadget"/),
    ]);
    expect(errors.length).toBeGreaterThan(2);
    for (const error of errors.slice(2)) expect(error.message).toMatch(/^document 3: YAML syntax error at line \d+, column \d+: Flow map/);
    expect(new Set(errors.map((e) => e.message)).size).toBe(errors.length);
  });

  it("stops an alias bomb instead of expanding it", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
    ].join("\n");
    expect(errorsOf(bomb).map((e) => e.message)).toEqual([expect.stringMatching(/^document 1: .*alias/i)]);
  });

  it.each([
    ["a bare number", "42"],
    ["a bare string", "hello"],
    ["unbalanced brackets", "{{{[[["],
    ["a null spec", "apiVersion: dbmesh.io/v1alpha1\nkind: AccessRule\nmetadata: {name: r}\nspec: null\n"],
    ["a scalar spec", "apiVersion: dbmesh.io/v1alpha1\nkind: AccessRule\nmetadata: {name: r}\nspec: 5\n"],
    ["metadata as a list", "apiVersion: dbmesh.io/v1alpha1\nkind: Environment\nmetadata: [a]\n"],
    ["a services map", "apiVersion: core.database-mesh.io/v1alpha1\nkind: VirtualDatabase\nmetadata: {name: v}\nspec: {services: {a: 1}}\n"],
    ["rules as a string", "apiVersion: core.database-mesh.io/v1alpha1\nkind: TrafficStrategy\nmetadata: {name: t}\nspec: {loadBalance: {readWriteSplitting: {static: {rules: nope}}}}\n"],
  ])("answers %s with errors instead of throwing", (_case, text) => {
    const result = parseMeshYaml(text);
    expect("errors" in result && result.errors.length > 0).toBe(true);
    if ("errors" in result) for (const error of result.errors) expect(error.message).toMatch(/^document \d+/);
  });
});

describe("virtual database governance in YAML", () => {
  it("round-trips the access default, audit policy, rate limits and dangerous functions", () => {
    const mesh = structuredClone(demoMesh);
    const vdb = mesh.virtualDatabases[0]!;
    vdb.accessDefault = "deny";
    vdb.audit = { mode: "sample", sampleRate: 0.25, keepLiterals: true };
    vdb.rateLimits = { perCredentialPerSecond: 200, perDatabasePerSecond: null };
    vdb.dangerousFunctions = ["my_exec", "admin.run_*"];
    const text = exportMeshYaml(mesh);
    expect(text).toContain("accessDefault: deny");
    const parsed = parseMeshYaml(text);
    if (!("mesh" in parsed)) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.mesh.virtualDatabases[0]).toMatchObject({
      accessDefault: "deny",
      audit: { mode: "sample", sampleRate: 0.25, keepLiterals: true },
      rateLimits: { perCredentialPerSecond: 200, perDatabasePerSecond: null },
      dangerousFunctions: ["admin.run_*", "my_exec"],
    });
  });

  it("defaults what a document leaves out, and names a bad value with its line", () => {
    const doc = (extra: string) =>
      `apiVersion: core.database-mesh.io/v1alpha1\nkind: VirtualDatabase\nmetadata: {name: v}\nspec:\n  services:\n    - name: v\n      environment: dev\n      backends: [pg-main]\n${extra}`;
    const env = "---\napiVersion: dbmesh.io/v1alpha1\nkind: Environment\nmetadata: {name: dev}\nspec: {}\n---\napiVersion: core.database-mesh.io/v1alpha1\nkind: DatabaseEndpoint\nmetadata: {name: pg-main, annotations: {dbmesh.io/environment: dev}}\nspec: {database: {PostgreSQL: {host: h, port: 5432, user: u, db: d}}}\n---\n";
    const plain = parseMeshYaml(env + doc(""));
    if (!("mesh" in plain)) throw new Error(JSON.stringify(plain.errors));
    expect(plain.mesh.virtualDatabases[0]).toMatchObject({ accessDefault: "allow", audit: { mode: "all" }, dangerousFunctions: [] });
    const bad = parseMeshYaml(env + doc("      rateLimits: {perCredentialPerSecond: 0}\n"));
    if (!("errors" in bad)) throw new Error("a rate of 0 was accepted");
    expect(bad.errors[0]?.message).toMatch(/rateLimits\.perCredentialPerSecond.*at least 1|at least 1 statement per second/);
  });
  it("round-trips an initial search path in its order, leaves an empty one out, and refuses a name that needs quoting", () => {
    const mesh = structuredClone(demoMesh);
    mesh.virtualDatabases[0]!.searchPath = ["team_b", "app_a"];
    const text = exportMeshYaml(mesh);
    expect(text).toMatch(/searchPath:\n\s+- team_b\n\s+- app_a/);
    const parsed = parseMeshYaml(text);
    if (!("mesh" in parsed)) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.mesh.virtualDatabases[0]!.searchPath).toEqual(["team_b", "app_a"]);
    expect(exportMeshYaml(demoMesh)).not.toContain("searchPath");
    const doc = `apiVersion: core.database-mesh.io/v1alpha1\nkind: VirtualDatabase\nmetadata: {name: v}\nspec:\n  services:\n    - name: v\n      environment: dev\n      backends: [pg-main]\n      searchPath: ["Odd Name"]\n`;
    const bad = parseMeshYaml(doc);
    if (!("errors" in bad)) throw new Error("a schema name with a space was accepted");
    expect(bad.errors.map((e) => e.message).join("\n")).toMatch(/searchPath.*lowercase letters/);
  });
});
