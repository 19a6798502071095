import { z } from "zod";
import { sortAccessRules } from "./access-rule-order";
import { compareNames, sortByName } from "./compare-names";
import { fingerprint } from "./fingerprint";
import type { Issue } from "./issue";
import { checkReferences } from "./references";
import {
  AccessDefault,
  AccessOperation,
  AccessRule,
  AuditPolicy,
  DEFAULT_AUDIT_POLICY,
  FunctionNamePattern,
  InitialSearchPath,
  NO_RATE_LIMITS,
  RateLimits,
  DatabaseEndpoint,
  EndpointRole,
  type MeshDefinition,
  Protocol,
  ResourceName,
  TablePattern,
  TrafficStrategy,
  type VirtualDatabase,
} from "./schemas";

// The config the control plane hands each proxy agent. The agent validates every config it receives with
// `AgentConfig` and keeps serving its last good one if that fails, so this schema is the contract between the
// two: change it additively.

export const AgentBackend = z.object({
  name: ResourceName,
  protocol: Protocol,
  host: DatabaseEndpoint.shape.host,
  port: DatabaseEndpoint.shape.port,
  database: DatabaseEndpoint.shape.database,
  user: DatabaseEndpoint.shape.username,
  /** Decrypted: the agent logs configs only through a logger that redacts `password`. null: no password. */
  password: z.string().nullable(),
  role: EndpointRole,
  weight: DatabaseEndpoint.shape.weight,
});
export type AgentBackend = z.infer<typeof AgentBackend>;

/** One rule for one table pattern: a rule with several tables becomes several entries, each ordered on its own. */
export const AgentAccessRule = z.object({
  name: ResourceName,
  credential: AccessRule.shape.credential,
  effect: AccessRule.shape.effect,
  operations: z.array(AccessOperation).min(1),
  table: TablePattern,
});
export type AgentAccessRule = z.infer<typeof AgentAccessRule>;

export const AgentTrafficStrategy = TrafficStrategy.omit({ description: true });
export type AgentTrafficStrategy = z.infer<typeof AgentTrafficStrategy>;

export const AgentVirtualDatabase = z.object({
  name: ResourceName,
  environment: ResourceName,
  /** Sorted by name. Empty when nothing matches yet: the agent refuses connections with a clear error. */
  backends: z.array(AgentBackend),
  trafficStrategy: AgentTrafficStrategy,
  /** Most specific first (see access-rule-order.ts); the agent applies the first that matches. */
  accessRules: z.array(AgentAccessRule),
  // Governance, added later: defaulted so that a config saved by an older control plane still parses.
  accessDefault: AccessDefault.default("allow"),
  audit: AuditPolicy.default(DEFAULT_AUDIT_POLICY),
  rateLimits: RateLimits.default(NO_RATE_LIMITS),
  /** Extra names refused unless a rule allows `call` on them (the agent has its own built-in list too). */
  dangerousFunctions: z.array(FunctionNamePattern).default([]),
  /** The search path sessions start with, sent to the backends at login; empty: the server's default. */
  searchPath: InitialSearchPath,
});
export type AgentVirtualDatabase = z.infer<typeof AgentVirtualDatabase>;

/**
 * An application credential: the user name a client gives the agent, checked by SCRAM-SHA-256
 * against a PostgreSQL-format verifier (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`).
 * The password itself never leaves the control plane (it is shown once, when created).
 */
export const AgentCredential = z.object({
  name: z.string().min(1).max(63),
  scramVerifier: z
    .string()
    .regex(/^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/, "not a SCRAM-SHA-256 verifier"),
  /** The virtual databases this credential may connect to. */
  virtualDatabases: z.array(ResourceName),
  // Self-service leases (issue 7); absent on credentials made by hand. The agent checks the times on its own
  // clock, so an expired lease or an ended rotation grace needs no new revision to take effect.
  /** ISO time after which the agent refuses the credential. */
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
  /** Revoked: refused with a clear message (kept in the config so the agent can say why). */
  revoked: z.boolean().optional(),
  /** The verifier before the last rotation (same salt and iterations), accepted until previousValidUntil. */
  previousScramVerifier: z
    .string()
    .regex(/^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/, "not a SCRAM-SHA-256 verifier")
    .nullable()
    .optional(),
  previousValidUntil: z.iso.datetime({ offset: true }).nullable().optional(),
});
export type AgentCredential = z.infer<typeof AgentCredential>;

export const AgentConfig = z.object({
  revision: z.number().int().min(0),
  generatedFrom: z.object({
    compiler: z.string(),
    /** Digest of everything in the config except passwords: equal digests, equal behaviour. */
    digest: z.string(),
  }),
  /** Sorted by name. */
  virtualDatabases: z.array(AgentVirtualDatabase),
  /** Sorted by name. */
  credentials: z.array(AgentCredential).default([]),
});
export type AgentConfig = z.infer<typeof AgentConfig>;

/** The strategy of a virtual database that names none: the schema's defaults. */
export const DEFAULT_TRAFFIC_STRATEGY_NAME = "default";

/** compile() refuses a mesh that checkReferences rejects: agents must never get half a mesh. */
export class MeshCompileError extends Error {
  constructor(readonly issues: Issue[]) {
    super(`cannot compile an invalid mesh: ${issues.map((i) => i.message).join("; ")}`);
    this.name = "MeshCompileError";
  }
}

/**
 * The agent config for a mesh revision. Pure and deterministic: the same mesh in any order compiles to the
 * same JSON (no timestamps, everything sorted), so agents and the control plane can compare configs by digest.
 * Throws MeshCompileError when the mesh has dangling references or duplicate names.
 */
export function compile(input: { revision: number; mesh: MeshDefinition; credentials?: readonly AgentCredential[] }): AgentConfig {
  const { mesh } = input;
  const issues = checkReferences(mesh);
  if (issues.length > 0) throw new MeshCompileError(issues);

  const strategies = new Map(mesh.trafficStrategies.map((s) => [s.name, s]));
  const virtualDatabases = sortByName(mesh.virtualDatabases).map(
    (vdb): AgentVirtualDatabase => ({
      name: vdb.name,
      environment: vdb.environment,
      backends: resolveBackends(vdb, mesh.endpoints).map(toAgentBackend),
      trafficStrategy: agentStrategy(
        vdb.trafficStrategy === null
          ? TrafficStrategy.parse({ name: DEFAULT_TRAFFIC_STRATEGY_NAME })
          : // checkReferences above guarantees it exists.
            (strategies.get(vdb.trafficStrategy) as TrafficStrategy),
      ),
      accessDefault: vdb.accessDefault,
      audit: vdb.audit,
      rateLimits: vdb.rateLimits,
      dangerousFunctions: [...new Set(vdb.dangerousFunctions)].sort(compareNames),
      // Order matters here (the first schema holding a name wins): kept as written.
      searchPath: vdb.searchPath,
      accessRules: sortAccessRules(
        mesh.accessRules
          .filter((rule) => rule.virtualDatabase === vdb.name)
          .flatMap((rule) =>
            [...new Set(rule.tables)].map(
              (table): AgentAccessRule => ({
                name: rule.name,
                credential: rule.credential,
                effect: rule.effect,
                operations: rule.operations,
                table,
              }),
            ),
          ),
      ),
    }),
  );

  // Parsed on the way out so a config the agent would refuse fails here, in the control plane, instead; and
  // parsing rebuilds every object in schema key order, so the JSON no longer depends on how the input was built.
  const normalized = z.array(AgentVirtualDatabase).parse(virtualDatabases);
  const withoutSecrets = normalized.map((vdb) => ({
    ...vdb,
    backends: vdb.backends.map((b) => ({ ...b, password: null })),
  }));
  const vdbNames = new Set(normalized.map((v) => v.name));
  const credentials = z.array(AgentCredential).parse(
    sortByName(input.credentials ?? []).map((c) => ({
      ...c,
      // A grant on a virtual database that no longer exists grants nothing.
      virtualDatabases: [...new Set(c.virtualDatabases)].filter((v) => vdbNames.has(v)).sort(compareNames),
    })),
  );
  return AgentConfig.parse({
    revision: input.revision,
    generatedFrom: {
      compiler: "@dbmesh/mesh",
      // Verifiers are salted hashes, not passwords: a rotated credential must change the digest.
      digest: fingerprint(JSON.stringify({ virtualDatabases: withoutSecrets, credentials })),
    },
    virtualDatabases: normalized,
    credentials,
  });
}

/**
 * Direct picks plus endpoints whose labels include the whole selector, in the virtual database's environment
 * only (checkReferences already refuses a direct pick elsewhere; this is the second lock), deduplicated and
 * sorted by name. An empty selector selects nothing — it must not mean "every endpoint".
 */
export function resolveBackends(vdb: VirtualDatabase, endpoints: readonly DatabaseEndpoint[]): DatabaseEndpoint[] {
  const picked = new Set(vdb.backends);
  const selector = Object.entries(vdb.backendSelector);
  const byName = new Map<string, DatabaseEndpoint>();
  for (const endpoint of endpoints) {
    if (endpoint.environment !== vdb.environment || byName.has(endpoint.name)) continue;
    const selected = selector.length > 0 && selector.every(([key, value]) => endpoint.labels[key] === value);
    if (picked.has(endpoint.name) || selected) byName.set(endpoint.name, endpoint);
  }
  return [...byName.values()].sort((a, b) => compareNames(a.name, b.name));
}

function toAgentBackend(endpoint: DatabaseEndpoint): AgentBackend {
  return {
    name: endpoint.name,
    protocol: endpoint.protocol,
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: endpoint.username,
    password: endpoint.password ?? null,
    role: endpoint.role,
    weight: endpoint.weight,
  };
}

function agentStrategy(strategy: TrafficStrategy): AgentTrafficStrategy {
  const { description: _description, ...rest } = strategy;
  return rest;
}
