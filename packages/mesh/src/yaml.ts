import { Document, isNode, LineCounter, parseAllDocuments } from "yaml";
import type { z } from "zod";
import { compareNames, sortByName } from "./compare-names";
import { formatPath, type Issue, type PathSegment, zodIssueMessage } from "./issue";
import { meshCollection, MeshKind, meshKinds } from "./mesh-kind";
import { checkReferences } from "./references";
import {
  AccessRule,
  type AuditPolicy,
  DEFAULT_AUDIT_POLICY,
  DatabaseEndpoint,
  Environment,
  type LoadBalanceAlgorithm,
  type MeshDefinition,
  TrafficStrategy,
  VirtualDatabase,
} from "./schemas";

// The Database Mesh spec's kinds speak `core.database-mesh.io`; what the spec names but never defined
// (environments, access control) is ours. Import accepts either group for every kind, as SPEC.md allows.
const CORE_API_VERSION = "core.database-mesh.io/v1alpha1";
const DBMESH_API_VERSION = "dbmesh.io/v1alpha1";
const API_VERSIONS = [CORE_API_VERSION, DBMESH_API_VERSION];

const ROLE_ANNOTATION = "database-mesh.io/role";
const ENVIRONMENT_ANNOTATION = "dbmesh.io/environment";
const WEIGHT_ANNOTATION = "dbmesh.io/weight";
const DESCRIPTION_ANNOTATION = "dbmesh.io/description";

/** Spec kinds that exist but that dbmesh does not model yet: named so the message says "not yet", not "typo". */
const UNSUPPORTED_SPEC_KINDS = new Set(["DataShard", "QoSClaim", "DatabaseClass"]);

// `random` and `roundrobin` are the spec's values; the other two are our extensions in the same spelling.
const SIMPLE_LOAD_BALANCE_KIND: Record<LoadBalanceAlgorithm, string> = {
  round_robin: "roundrobin",
  random: "random",
  least_connections: "leastconnections",
  weighted: "weighted",
};
const LOAD_BALANCE_FROM_KIND = new Map<string, LoadBalanceAlgorithm>(
  Object.entries(SIMPLE_LOAD_BALANCE_KIND).flatMap(([ours, spec]) => [
    [spec, ours as LoadBalanceAlgorithm],
    [ours, ours as LoadBalanceAlgorithm],
  ]),
);

// The spec routes to endpoint roles (`database-mesh.io/role`); we route to primary and replica.
const SPEC_TARGET = { primary: "readwrite", replica: "read" } as const;
const TARGET_FROM_SPEC = new Map<unknown, "primary" | "replica">([
  ["readwrite", "primary"],
  ["read", "replica"],
]);

/* ------------------------------------------------------------------------------------------------ export */

/**
 * The mesh as multi-document YAML in the Database Mesh spec's shape. Deterministic (kinds in dependency
 * order, each sorted by name, label keys sorted) so exports can be diffed and committed. Endpoint passwords
 * are never written, whatever the input holds.
 */
export function exportMeshYaml(mesh: MeshDefinition): string {
  const documents: object[] = [
    ...sortByName(mesh.environments).map(environmentDocument),
    ...sortByName(mesh.endpoints).map(endpointDocument),
    ...sortByName(mesh.trafficStrategies).map(strategyDocument),
    ...sortByName(mesh.virtualDatabases).map(virtualDatabaseDocument),
    ...sortByName(mesh.accessRules).map(accessRuleDocument),
  ];
  const header =
    "# Exported by dbmesh (@dbmesh/mesh exportMeshYaml): kinds in dependency order, each sorted by name.\n" +
    "# Passwords are never exported; an endpoint imported without one keeps its current password.\n";
  // lineWidth 0: never fold a long regex across lines, where a reader could misread it.
  return header + documents.map((d) => `---\n${new Document(d).toString({ lineWidth: 0 })}`).join("");
}

function environmentDocument(env: Environment) {
  return {
    apiVersion: DBMESH_API_VERSION,
    kind: "Environment",
    metadata: { name: env.name },
    spec: { ...(env.description ? { description: env.description } : {}), production: env.production },
  };
}

function endpointDocument(endpoint: DatabaseEndpoint) {
  // Built field by field (never spread from the endpoint) so a password cannot ride along.
  const connection = { host: endpoint.host, port: endpoint.port, user: endpoint.username, db: endpoint.database };
  return {
    apiVersion: CORE_API_VERSION,
    kind: "DatabaseEndpoint",
    metadata: {
      name: endpoint.name,
      ...(Object.keys(endpoint.labels).length > 0 ? { labels: sortedRecord(endpoint.labels) } : {}),
      annotations: {
        [ROLE_ANNOTATION]: endpoint.role === "PRIMARY" ? "readwrite" : "read",
        [ENVIRONMENT_ANNOTATION]: endpoint.environment,
        // Kubernetes annotations are strings.
        [WEIGHT_ANNOTATION]: String(endpoint.weight),
      },
    },
    spec: { database: endpoint.protocol === "MYSQL" ? { MySQL: connection } : { PostgreSQL: connection } },
  };
}

function strategyDocument(strategy: TrafficStrategy) {
  const rws = strategy.readWriteSplitting;
  const rwsIsDefault = !rws.enabled && rws.defaultTarget === "replica" && rws.rules.length === 0;
  const pool = strategy.connectionPool;
  return {
    apiVersion: CORE_API_VERSION,
    kind: "TrafficStrategy",
    metadata: { name: strategy.name, ...descriptionAnnotation(strategy.description) },
    spec: {
      loadBalance: {
        simpleLoadBalance: { kind: SIMPLE_LOAD_BALANCE_KIND[strategy.loadBalance] },
        ...(rwsIsDefault
          ? {}
          : {
              readWriteSplitting: {
                static: {
                  // The spec has no switch: a static block means "on". Ours can be kept but switched off.
                  ...(rws.enabled ? {} : { enabled: false }),
                  defaultTarget: SPEC_TARGET[rws.defaultTarget],
                  rules: rws.rules.map((rule) => ({
                    name: rule.name,
                    // The spec's `generic` rules route by statement type; ours say which types in `statementKinds`.
                    type: rule.type === "regex" ? "regex" : "generic",
                    ...matchers(rule),
                    target: SPEC_TARGET[rule.target],
                  })),
                },
              },
            }),
      },
      connectionPool: {
        mode: pool.mode,
        maxSize: pool.maxSize,
        minIdle: pool.minIdle,
        acquireTimeoutMs: pool.acquireTimeoutMs,
        idleTimeoutMs: pool.idleTimeoutMs,
        maxLifetimeMs: pool.maxLifetimeMs,
      },
      ...(strategy.circuitBreaks.length > 0
        ? {
            circuitBreaks: strategy.circuitBreaks.map((b) => ({
              name: b.name,
              ...matchers(b),
              ...(b.tables.length > 0 ? { tables: b.tables } : {}),
              ...(b.operations.length > 0 ? { operations: b.operations } : {}),
            })),
          }
        : {}),
      ...(strategy.concurrencyControls.length > 0
        ? {
            concurrencyControls: strategy.concurrencyControls.map((c) => ({
              name: c.name,
              ...matchers(c),
              maxConcurrency: c.maxConcurrency,
              // Not the spec's `duration` (a rate window in Pisanix): ours is how long a statement waits for a slot.
              waitTimeoutMs: c.waitTimeoutMs,
            })),
          }
        : {}),
    },
  };
}

function virtualDatabaseDocument(vdb: VirtualDatabase) {
  return {
    apiVersion: CORE_API_VERSION,
    kind: "VirtualDatabase",
    metadata: { name: vdb.name, ...descriptionAnnotation(vdb.description) },
    spec: {
      services: [
        {
          name: vdb.name,
          ...(vdb.trafficStrategy !== null ? { trafficStrategy: vdb.trafficStrategy } : {}),
          environment: vdb.environment,
          ...(vdb.backends.length > 0 ? { backends: vdb.backends } : {}),
          ...(Object.keys(vdb.backendSelector).length > 0 ? { backendSelector: sortedRecord(vdb.backendSelector) } : {}),
          // Always written: whether unmatched tables are open or closed must never depend on a default.
          accessDefault: vdb.accessDefault,
          ...(!sameAudit(vdb.audit, DEFAULT_AUDIT_POLICY) ? { audit: { ...vdb.audit } } : {}),
          ...(vdb.rateLimits.perCredentialPerSecond !== null || vdb.rateLimits.perDatabasePerSecond !== null
            ? { rateLimits: { ...vdb.rateLimits } }
            : {}),
          ...(vdb.dangerousFunctions.length > 0 ? { dangerousFunctions: [...vdb.dangerousFunctions].sort(compareNames) } : {}),
          // In order: the first schema holding a name wins.
          ...(vdb.searchPath.length > 0 ? { searchPath: [...vdb.searchPath] } : {}),
        },
      ],
    },
  };
}

function sameAudit(a: AuditPolicy, b: AuditPolicy): boolean {
  return a.mode === b.mode && a.sampleRate === b.sampleRate && a.keepLiterals === b.keepLiterals;
}

function accessRuleDocument(rule: AccessRule) {
  return {
    apiVersion: DBMESH_API_VERSION,
    kind: "AccessRule",
    metadata: { name: rule.name },
    spec: {
      virtualDatabase: rule.virtualDatabase,
      ...(rule.credential !== null ? { credential: rule.credential } : {}),
      effect: rule.effect,
      operations: rule.operations,
      tables: rule.tables,
      ...(rule.description ? { description: rule.description } : {}),
    },
  };
}

function matchers(rule: { regex: string[]; statementKinds: string[] }) {
  return {
    ...(rule.regex.length > 0 ? { regex: rule.regex } : {}),
    ...(rule.statementKinds.length > 0 ? { statementKinds: rule.statementKinds } : {}),
  };
}

function descriptionAnnotation(description: string) {
  return description ? { annotations: { [DESCRIPTION_ANNOTATION]: description } } : {};
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareNames(a, b)));
}

/* ------------------------------------------------------------------------------------------------ import */

export type ParseMeshYamlResult = { mesh: MeshDefinition } | { errors: Issue[] };

type Path = readonly PathSegment[];
/** Where a field of our resource lives in the YAML document: `[["host"], ["spec", "database", "PostgreSQL", "host"]]`. */
type PathMap = (readonly [Path, Path])[];

interface DocumentContext {
  /** 0-based position in the stream, counting empty documents so "document 3" is the third `---`. */
  index: number;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** `document 3 (DatabaseEndpoint "pg-main")` */
  label: string;
  issues: Issue[];
}

interface Draft {
  kind: MeshKind;
  ctx: DocumentContext;
  candidate: Record<string, unknown>;
  paths: PathMap;
  /** Pisanix puts the endpoint selector on the traffic strategy; a virtual database without its own inherits it. */
  inheritSelectorFrom?: string;
  /** A traffic strategy's `spec.selector.matchLabels`, for the above. */
  selector?: unknown;
}

/**
 * Reads YAML in the shape `exportMeshYaml` writes, plus the spec's MySQL endpoints and Pisanix-style traffic
 * strategies. Never throws: every problem (syntax, unknown kind, invalid field, dangling reference) comes
 * back as an issue naming the document, its kind and name, and the line.
 */
export function parseMeshYaml(text: string): ParseMeshYamlResult {
  try {
    return parseDocuments(text);
  } catch (error) {
    // Only a bug in this file gets here; a bad file must still get an answer, not a 500.
    const reason = error instanceof Error ? error.message : String(error);
    return { errors: [{ path: "", message: `could not import the YAML: ${reason}` }] };
  }
}

function parseDocuments(text: string): ParseMeshYamlResult {
  if (typeof text !== "string") return { errors: [{ path: "", message: "expected YAML text" }] };
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const issues: Issue[] = [];
  const drafts: Draft[] = [];
  const selectorByStrategy = new Map<string, unknown>();

  documents.forEach((doc, index) => {
    const ctx: DocumentContext = { index, doc, lineCounter, label: `document ${index + 1}`, issues: [] };
    if (doc.errors.length > 0) {
      // The parser can report one mistake several times over as it recovers; say it once.
      const seen = new Set<string>();
      for (const error of doc.errors) {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        const message = `document ${index + 1}: YAML syntax error at line ${line}, column ${col}: ${error.message}`;
        if (seen.has(message)) continue;
        seen.add(message);
        issues.push({ path: formatPath(["documents", index]), message, line });
      }
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (error) {
      // e.g. the alias limit that stops a "billion laughs" document.
      const reason = error instanceof Error ? error.message : String(error);
      issues.push({ path: formatPath(["documents", index]), message: `document ${index + 1}: ${reason}` });
      return;
    }
    if (value === null || value === undefined) return; // an empty document, e.g. a trailing `---`
    const draft = readDocument(ctx, value);
    if (draft?.selector !== undefined && typeof draft.candidate.name === "string") {
      selectorByStrategy.set(draft.candidate.name, draft.selector);
    }
    if (draft) drafts.push(draft);
    issues.push(...ctx.issues);
  });

  const mesh: MeshDefinition = {
    environments: [],
    endpoints: [],
    trafficStrategies: [],
    virtualDatabases: [],
    accessRules: [],
  };
  const origins = new Map<string, Draft>(); // "virtualDatabases.0" → the draft it came from

  for (const draft of drafts) {
    if (draft.inheritSelectorFrom !== undefined && selectorByStrategy.has(draft.inheritSelectorFrom)) {
      draft.candidate.backendSelector = selectorByStrategy.get(draft.inheritSelectorFrom);
    }
    const errorsBefore = draft.ctx.issues.length;
    const parsed = validate(draft);
    if (parsed.ok) {
      const collection = meshCollection[draft.kind];
      origins.set(`${collection}.${mesh[collection].length}`, draft);
      pushResource(mesh, parsed.resource);
    }
    issues.push(...draft.ctx.issues.slice(errorsBefore));
  }

  // References only mean something once every document is valid: a resource that failed above would
  // otherwise be reported again as "does not exist".
  if (issues.length > 0) return { errors: sortIssues(issues) };

  const referenceIssues = checkReferences(mesh).map((issue) => {
    const [collection, position, ...rest] = issue.path.split(".");
    const draft = origins.get(`${collection}.${position}`);
    if (!draft) return issue;
    const yamlPath = translatePath(draft.paths, rest.map((s) => (/^\d+$/.test(s) ? Number(s) : s)));
    return {
      path: formatPath(["documents", draft.ctx.index, ...yamlPath]),
      message: `document ${draft.ctx.index + 1}: ${issue.message}`,
      line: lineOf(draft.ctx, yamlPath),
    };
  });
  if (referenceIssues.length > 0) return { errors: sortIssues(referenceIssues) };
  return { mesh };
}

type Resource =
  | { kind: "Environment"; value: Environment }
  | { kind: "DatabaseEndpoint"; value: DatabaseEndpoint }
  | { kind: "TrafficStrategy"; value: TrafficStrategy }
  | { kind: "VirtualDatabase"; value: VirtualDatabase }
  | { kind: "AccessRule"; value: AccessRule };

function validate(draft: Draft): { ok: true; resource: Resource } | { ok: false } {
  const check = <K extends MeshKind, T>(kind: K, schema: z.ZodType<T>) => {
    const result = schema.safeParse(draft.candidate);
    if (result.success) return { ok: true as const, resource: { kind, value: result.data } as Resource };
    // A field the reader already complained about (say, a missing environment) is not reported twice.
    const alreadyReported = new Set(draft.ctx.issues.map((i) => i.path));
    for (const zodIssue of result.error.issues) {
      const yamlPath = translatePath(
        draft.paths,
        zodIssue.path.map((s) => (typeof s === "symbol" ? String(s) : s)),
      );
      const issue = issueAt(draft.ctx, yamlPath, zodIssueMessage(zodIssue));
      if (![...alreadyReported].some((p) => issue.path === p || issue.path.startsWith(`${p}.`))) {
        draft.ctx.issues.push(issue);
      }
    }
    return { ok: false as const };
  };
  switch (draft.kind) {
    case "Environment":
      return check(draft.kind, Environment);
    case "DatabaseEndpoint":
      return check(draft.kind, DatabaseEndpoint);
    case "TrafficStrategy":
      return check(draft.kind, TrafficStrategy);
    case "VirtualDatabase":
      return check(draft.kind, VirtualDatabase);
    case "AccessRule":
      return check(draft.kind, AccessRule);
  }
}

function pushResource(mesh: MeshDefinition, resource: Resource): void {
  switch (resource.kind) {
    case "Environment":
      mesh.environments.push(resource.value);
      break;
    case "DatabaseEndpoint":
      mesh.endpoints.push(resource.value);
      break;
    case "TrafficStrategy":
      mesh.trafficStrategies.push(resource.value);
      break;
    case "VirtualDatabase":
      mesh.virtualDatabases.push(resource.value);
      break;
    case "AccessRule":
      mesh.accessRules.push(resource.value);
      break;
  }
}

/** The envelope every document shares, then the kind's own reader. */
function readDocument(ctx: DocumentContext, value: unknown): Draft | undefined {
  if (!isRecord(value)) {
    report(ctx, [], "expected a mapping with apiVersion, kind, metadata and spec");
    return undefined;
  }
  const { kind, apiVersion, metadata } = value;
  const name = isRecord(metadata) && typeof metadata.name === "string" ? metadata.name : undefined;
  if (typeof kind === "string") ctx.label = `document ${ctx.index + 1} (${kind}${name ? ` "${name}"` : ""})`;

  const supported = meshKinds.join(", ");
  if (typeof kind !== "string" || kind === "") {
    report(ctx, ["kind"], `kind is required (one of ${supported})`);
    return undefined;
  }
  if (!MeshKind.safeParse(kind).success) {
    const why = UNSUPPORTED_SPEC_KINDS.has(kind) ? `kind ${kind} is not supported yet` : `unknown kind "${kind}"`;
    report(ctx, ["kind"], `${why}; dbmesh imports ${supported}`);
    return undefined;
  }
  if (typeof apiVersion !== "string" || !API_VERSIONS.includes(apiVersion)) {
    report(ctx, ["apiVersion"], `apiVersion must be ${API_VERSIONS.join(" or ")}`);
  }
  if (!isRecord(metadata)) {
    report(ctx, ["metadata"], "metadata with a name is required");
    return undefined;
  }
  const spec = value.spec;
  if (spec !== undefined && spec !== null && !isRecord(spec)) {
    report(ctx, ["spec"], "spec must be a mapping");
    return undefined;
  }
  const input: DocumentInput = {
    name: metadata.name,
    annotations: isRecord(metadata.annotations) ? metadata.annotations : {},
    labels: metadata.labels,
    spec: spec ?? {},
  };
  const kindName = kind as MeshKind;
  switch (kindName) {
    case "Environment":
      return readEnvironment(ctx, input);
    case "DatabaseEndpoint":
      return readEndpoint(ctx, input);
    case "TrafficStrategy":
      return readStrategy(ctx, input);
    case "VirtualDatabase":
      return readVirtualDatabase(ctx, input);
    case "AccessRule":
      return readAccessRule(ctx, input);
  }
}

interface DocumentInput {
  name: unknown;
  annotations: Record<string, unknown>;
  labels: unknown;
  spec: Record<string, unknown>;
}

const NAME: readonly [Path, Path] = [["name"], ["metadata", "name"]];
const DESCRIPTION: readonly [Path, Path] = [["description"], ["metadata", "annotations", DESCRIPTION_ANNOTATION]];

function readEnvironment(ctx: DocumentContext, input: DocumentInput): Draft {
  const { spec } = input;
  return {
    kind: "Environment",
    ctx,
    candidate: { name: input.name, description: spec.description, production: spec.production },
    paths: [NAME],
  };
}

function readEndpoint(ctx: DocumentContext, input: DocumentInput): Draft {
  const database = input.spec.database;
  const postgres = isRecord(database) ? database.PostgreSQL : undefined;
  const mysql = isRecord(database) ? database.MySQL : undefined;
  const dbKey = postgres !== undefined ? "PostgreSQL" : "MySQL";
  const connection = postgres ?? mysql;
  if (postgres !== undefined && mysql !== undefined) {
    report(ctx, ["spec", "database"], "give PostgreSQL or MySQL connection settings, not both");
  } else if (!isRecord(connection)) {
    report(ctx, ["spec", "database"], "connection settings are required: spec.database.PostgreSQL or spec.database.MySQL");
  }
  const conn = isRecord(connection) ? connection : {};

  const roleAnnotation = input.annotations[ROLE_ANNOTATION];
  let role: "PRIMARY" | "REPLICA" = "PRIMARY"; // the spec's default is readwrite
  if (roleAnnotation === "read") role = "REPLICA";
  else if (roleAnnotation !== undefined && roleAnnotation !== "readwrite") {
    report(ctx, ["metadata", "annotations", ROLE_ANNOTATION], 'role must be "readwrite" or "read"');
  }
  const environment = input.annotations[ENVIRONMENT_ANNOTATION];
  if (environment === undefined || environment === null || environment === "") {
    report(ctx, ["metadata", "annotations", ENVIRONMENT_ANNOTATION], "environment is required: which dbmesh environment this endpoint belongs to");
  }

  const db: Path = ["spec", "database", dbKey];
  const password = text(conn.password);
  return {
    kind: "DatabaseEndpoint",
    ctx,
    candidate: {
      name: input.name,
      environment,
      protocol: dbKey === "PostgreSQL" ? "POSTGRESQL" : "MYSQL",
      host: conn.host,
      port: conn.port,
      database: text(conn.db),
      username: text(conn.user),
      // Kept so an import can set the password; an empty one means "not given", as in the console.
      ...(password !== undefined && password !== null && password !== "" ? { password } : {}),
      role,
      weight: input.annotations[WEIGHT_ANNOTATION],
      labels: stringRecord(input.labels),
    },
    paths: [
      NAME,
      [["environment"], ["metadata", "annotations", ENVIRONMENT_ANNOTATION]],
      [["role"], ["metadata", "annotations", ROLE_ANNOTATION]],
      [["weight"], ["metadata", "annotations", WEIGHT_ANNOTATION]],
      [["labels"], ["metadata", "labels"]],
      [["protocol"], ["spec", "database"]],
      [["host"], [...db, "host"]],
      [["port"], [...db, "port"]],
      [["username"], [...db, "user"]],
      [["database"], [...db, "db"]],
      [["password"], [...db, "password"]],
    ],
  };
}

function readStrategy(ctx: DocumentContext, input: DocumentInput): Draft {
  const { spec } = input;
  const loadBalance = isRecord(spec.loadBalance) ? spec.loadBalance : {};
  const rwsPath: Path = ["spec", "loadBalance", "readWriteSplitting", "static"];
  const paths: PathMap = [
    NAME,
    DESCRIPTION,
    [["loadBalance"], ["spec", "loadBalance", "simpleLoadBalance", "kind"]],
    [["readWriteSplitting"], rwsPath],
    [["connectionPool"], ["spec", "connectionPool"]],
    [["circuitBreaks"], ["spec", "circuitBreaks"]],
    [["concurrencyControls"], ["spec", "concurrencyControls"]],
  ];

  let algorithm: LoadBalanceAlgorithm | undefined;
  const simple = loadBalance.simpleLoadBalance;
  if (simple !== undefined && simple !== null) {
    const kind = isRecord(simple) ? simple.kind : undefined;
    algorithm = LOAD_BALANCE_FROM_KIND.get(kind as string);
    if (!algorithm) {
      const allowed = Object.values(SIMPLE_LOAD_BALANCE_KIND).join(", ");
      report(ctx, ["spec", "loadBalance", "simpleLoadBalance", "kind"], `kind must be one of ${allowed}`);
    }
  }

  let readWriteSplitting: Record<string, unknown> | undefined;
  const rws = isRecord(loadBalance.readWriteSplitting) ? loadBalance.readWriteSplitting : {};
  if (rws.dynamic !== undefined) {
    report(
      ctx,
      ["spec", "loadBalance", "readWriteSplitting", "dynamic"],
      "dynamic read/write splitting is not supported; use static rules (the agent health-checks backends itself)",
    );
  }
  if (isRecord(rws.static)) {
    const st = rws.static;
    readWriteSplitting = {
      // In the spec a static block is the switch; ours can carry `enabled: false`.
      enabled: st.enabled ?? true,
      defaultTarget: readTarget(ctx, st.defaultTarget, [...rwsPath, "defaultTarget"]),
      rules: Array.isArray(st.rules)
        ? withNames(st.rules, "rule").map((rule, i) => readRoutingRule(ctx, rule, [...rwsPath, "rules", i]))
        : st.rules,
    };
  }

  const circuitBreaks = Array.isArray(spec.circuitBreaks)
    ? withNames(spec.circuitBreaks, "break").map((b) =>
        isRecord(b)
          ? { name: b.name, regex: list(b.regex), statementKinds: b.statementKinds, tables: list(b.tables), operations: b.operations }
          : b,
      )
    : spec.circuitBreaks;

  const concurrencyControls = Array.isArray(spec.concurrencyControls)
    ? withNames(spec.concurrencyControls, "concurrency").map((c, i) => {
        if (!isRecord(c)) return c;
        let waitTimeoutMs = c.waitTimeoutMs;
        if (waitTimeoutMs === undefined && c.duration !== undefined) {
          // Pisanix's `duration` is seconds; the closest thing we have is how long a statement may wait.
          const seconds = typeof c.duration === "string" ? Number(c.duration) : c.duration;
          if (typeof seconds === "number" && Number.isFinite(seconds)) {
            waitTimeoutMs = Math.round(seconds * 1000);
            paths.push([
              ["concurrencyControls", i, "waitTimeoutMs"],
              ["spec", "concurrencyControls", i, "duration"],
            ]);
          } else {
            report(ctx, ["spec", "concurrencyControls", i, "duration"], "duration must be a number of seconds");
          }
        }
        return {
          name: c.name,
          regex: list(c.regex),
          statementKinds: c.statementKinds,
          maxConcurrency: c.maxConcurrency,
          waitTimeoutMs,
        };
      })
    : spec.concurrencyControls;

  const selector = isRecord(spec.selector) ? spec.selector.matchLabels : undefined;
  return {
    kind: "TrafficStrategy",
    ctx,
    candidate: {
      name: input.name,
      description: input.annotations[DESCRIPTION_ANNOTATION],
      loadBalance: algorithm,
      readWriteSplitting,
      connectionPool: spec.connectionPool,
      circuitBreaks,
      concurrencyControls,
    },
    paths,
    ...(selector !== undefined ? { selector: stringRecord(selector) } : {}),
  };
}

function readRoutingRule(ctx: DocumentContext, rule: unknown, path: Path): unknown {
  if (!isRecord(rule)) return rule;
  const common = { name: rule.name, target: readTarget(ctx, rule.target, [...path, "target"]) };
  if (rule.type === "regex") return { ...common, type: "regex", regex: list(rule.regex), statementKinds: rule.statementKinds };
  if (rule.type === "generic" || rule.type === "statement") {
    if (rule.statementKinds !== undefined) return { ...common, type: "statement", statementKinds: rule.statementKinds };
    // A bare Pisanix generic rule ignores its target and sends SELECT to read endpoints, everything else to
    // readwrite — which is exactly "selects go to a replica" here, since writes always go to the primary.
    return { name: rule.name, type: "statement", statementKinds: ["select"], target: "replica" };
  }
  report(ctx, [...path, "type"], 'type must be "regex" or "generic"');
  return { ...common, type: rule.type };
}

function readTarget(ctx: DocumentContext, value: unknown, path: Path): unknown {
  if (value === undefined) return undefined;
  const target = TARGET_FROM_SPEC.get(value);
  if (!target) report(ctx, path, 'target must be "readwrite" or "read"');
  return target;
}

function readVirtualDatabase(ctx: DocumentContext, input: DocumentInput): Draft {
  const services = input.spec.services;
  const service = Array.isArray(services) && isRecord(services[0]) ? services[0] : {};
  if (!Array.isArray(services) || services.length === 0 || !isRecord(services[0])) {
    report(ctx, ["spec", "services"], "give one service: {name, trafficStrategy, environment, backends or backendSelector}");
  } else if (services.length > 1) {
    report(ctx, ["spec", "services"], "dbmesh maps one service to one virtual database; split the services into separate VirtualDatabase documents");
  }
  const svc: Path = ["spec", "services", 0];
  if (Array.isArray(services) && isRecord(services[0]) && (service.environment === undefined || service.environment === null)) {
    report(ctx, [...svc, "environment"], "environment is required: which dbmesh environment this virtual database belongs to");
  }
  const hasOwnBackends = service.backends !== undefined || service.backendSelector !== undefined;
  return {
    kind: "VirtualDatabase",
    ctx,
    candidate: {
      name: input.name,
      description: input.annotations[DESCRIPTION_ANNOTATION],
      environment: service.environment,
      trafficStrategy: service.trafficStrategy ?? null,
      backends: service.backends,
      backendSelector: stringRecord(service.backendSelector),
      accessDefault: service.accessDefault,
      audit: service.audit,
      rateLimits: service.rateLimits,
      dangerousFunctions: service.dangerousFunctions,
      searchPath: service.searchPath,
    },
    paths: [
      NAME,
      DESCRIPTION,
      [["environment"], [...svc, "environment"]],
      [["trafficStrategy"], [...svc, "trafficStrategy"]],
      [["backends"], [...svc, "backends"]],
      [["backendSelector"], [...svc, "backendSelector"]],
      [["accessDefault"], [...svc, "accessDefault"]],
      [["audit"], [...svc, "audit"]],
      [["rateLimits"], [...svc, "rateLimits"]],
      [["dangerousFunctions"], [...svc, "dangerousFunctions"]],
      [["searchPath"], [...svc, "searchPath"]],
    ],
    ...(!hasOwnBackends && typeof service.trafficStrategy === "string"
      ? { inheritSelectorFrom: service.trafficStrategy }
      : {}),
  };
}

function readAccessRule(ctx: DocumentContext, input: DocumentInput): Draft {
  const { spec } = input;
  if (spec.virtualDatabase === undefined || spec.virtualDatabase === null) {
    report(ctx, ["spec", "virtualDatabase"], "virtualDatabase is required: which virtual database this rule guards");
  }
  return {
    kind: "AccessRule",
    ctx,
    candidate: {
      name: input.name,
      virtualDatabase: spec.virtualDatabase,
      credential: spec.credential ?? null,
      // Forgiving about case only where the meaning cannot change: ALLOW/allow, SELECT/select.
      operations: Array.isArray(spec.operations)
        ? spec.operations.map((op) => (typeof op === "string" ? op.toLowerCase() : op))
        : spec.operations,
      tables: list(spec.tables),
      effect: typeof spec.effect === "string" ? spec.effect.toUpperCase() : spec.effect,
      description: spec.description,
    },
    paths: [NAME],
  };
}

/** Pisanix's circuit breaks and concurrency controls have no names; ours need unique ones. */
function withNames(items: unknown[], prefix: string): unknown[] {
  const taken = new Set(items.flatMap((item) => (isRecord(item) && typeof item.name === "string" ? [item.name] : [])));
  let next = 1;
  return items.map((item) => {
    if (!isRecord(item) || item.name !== undefined) return item;
    while (taken.has(`${prefix}-${next}`)) next++;
    const name = `${prefix}-${next}`;
    taken.add(name);
    return { ...item, name };
  });
}

/** Longest matching prefix wins; fields we did not map live under `spec` with the same name. */
function translatePath(paths: PathMap, path: Path): Path {
  let best: readonly [Path, Path] | undefined;
  for (const entry of paths) {
    const [from] = entry;
    if (from.length <= path.length && from.every((s, i) => s === path[i]) && (!best || from.length > best[0].length)) {
      best = entry;
    }
  }
  return best ? [...best[1], ...path.slice(best[0].length)] : ["spec", ...path];
}

function report(ctx: DocumentContext, path: Path, message: string): void {
  ctx.issues.push(issueAt(ctx, path, message));
}

function issueAt(ctx: DocumentContext, path: Path, message: string): Issue {
  const where = formatPath(path);
  return {
    path: formatPath(["documents", ctx.index, ...path]),
    message: `${ctx.label}: ${where ? `${where}: ` : ""}${message}`,
    line: lineOf(ctx, path),
  };
}

/** The line of the deepest node on `path` that exists, so a missing field points at its parent. */
function lineOf(ctx: DocumentContext, path: Path): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? ctx.doc.contents : ctx.doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return ctx.lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

function sortIssues(issues: Issue[]): Issue[] {
  // Stable: within a document, the order the reader found them.
  return issues
    .map((issue, i) => ({ issue, i, doc: Number(/^documents\.(\d+)/.exec(issue.path)?.[1] ?? -1) }))
    .sort((a, b) => a.doc - b.doc || a.i - b.i)
    .map(({ issue }) => issue);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** YAML reads `password: 123456` or `tier: 1` as numbers; people mean text. */
function text(value: unknown): unknown {
  return typeof value === "number" || typeof value === "boolean" ? String(value) : value;
}

function stringRecord(value: unknown): unknown {
  return isRecord(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, text(v)])) : value;
}

/** The older Pisanix config takes one regex as a string; the CRDs take a list. */
function list(value: unknown): unknown {
  return typeof value === "string" ? [value] : value;
}
