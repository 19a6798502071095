import { type AccessOperation, AgentConfig, type AgentTrafficStrategy, sortAccessRules, TrafficStrategy } from "@dbmesh/mesh";
import { createScramVerifier } from "../pg/scram-verifier";

// Builds AgentConfigs for tests and tools the way the control plane would: every strategy field defaulted by
// the mesh schema, credentials as SCRAM verifiers of known passwords.

export interface TestBackend {
  name: string;
  host?: string;
  port?: number;
  database: string;
  user?: string;
  password?: string | null;
  role?: "PRIMARY" | "REPLICA";
  weight?: number;
}

export interface TestVirtualDatabase {
  name: string;
  backends: TestBackend[];
  /** Merged over the schema's defaults (a name is supplied). */
  strategy?: Partial<Omit<TrafficStrategy, "connectionPool">> & { connectionPool?: Partial<TrafficStrategy["connectionPool"]> };
  /** Access rules, ordered for the agent as compile() orders them (one entry per table pattern). */
  accessRules?: { name: string; credential?: string | null; effect: "ALLOW" | "DENY"; operations: AccessOperation[]; tables: string[] }[];
  accessDefault?: "allow" | "deny";
  rateLimits?: { perCredentialPerSecond?: number | null; perDatabasePerSecond?: number | null };
  dangerousFunctions?: string[];
  /** The SQL audit policy (the schema's default when absent). */
  audit?: { mode?: "all" | "writes" | "denied" | "sample" | "off"; sampleRate?: number; keepLiterals?: boolean };
}

export interface TestCredential {
  name: string;
  password: string;
  virtualDatabases: string[];
  /** A verifier minted elsewhere (e.g. by PostgreSQL itself); otherwise one is made from `password`. */
  scramVerifier?: string;
}

// Verifiers are slow to mint (PBKDF2); tests reuse them by password.
const verifierCache = new Map<string, string>();

export function verifierFor(password: string): string {
  let v = verifierCache.get(password);
  if (v === undefined) {
    v = createScramVerifier(password, { iterations: 4096 });
    verifierCache.set(password, v);
  }
  return v;
}

export function buildConfig(input: {
  revision?: number;
  virtualDatabases: TestVirtualDatabase[];
  credentials: TestCredential[];
}): AgentConfig {
  const revision = input.revision ?? 1;
  return AgentConfig.parse({
    revision,
    generatedFrom: { compiler: "test", digest: `test-${revision}-${Math.random().toString(36).slice(2)}` },
    virtualDatabases: input.virtualDatabases.map((vdb) => ({
      name: vdb.name,
      environment: "test",
      backends: vdb.backends.map((b) => ({
        name: b.name,
        protocol: "POSTGRESQL",
        host: b.host ?? "127.0.0.1",
        port: b.port ?? 5432,
        database: b.database,
        user: b.user ?? "postgres",
        password: b.password ?? null,
        role: b.role ?? "PRIMARY",
        weight: b.weight ?? 1,
      })),
      trafficStrategy: strategyOf(vdb),
      accessRules: sortAccessRules(
        (vdb.accessRules ?? []).flatMap((r) =>
          r.tables.map((table) => ({ name: r.name, credential: r.credential ?? null, effect: r.effect, operations: r.operations, table })),
        ),
      ),
      ...(vdb.accessDefault === undefined ? {} : { accessDefault: vdb.accessDefault }),
      ...(vdb.rateLimits === undefined
        ? {}
        : { rateLimits: { perCredentialPerSecond: vdb.rateLimits.perCredentialPerSecond ?? null, perDatabasePerSecond: vdb.rateLimits.perDatabasePerSecond ?? null } }),
      ...(vdb.dangerousFunctions === undefined ? {} : { dangerousFunctions: vdb.dangerousFunctions }),
      ...(vdb.audit === undefined ? {} : { audit: vdb.audit }),
    })),
    credentials: input.credentials.map((c) => ({
      name: c.name,
      scramVerifier: c.scramVerifier ?? verifierFor(c.password),
      virtualDatabases: c.virtualDatabases,
    })),
  });
}

function strategyOf(vdb: TestVirtualDatabase): AgentTrafficStrategy {
  const base = TrafficStrategy.parse({ name: `${vdb.name}-strategy` });
  const { connectionPool, ...rest } = vdb.strategy ?? {};
  const merged = TrafficStrategy.parse({ ...base, ...rest, connectionPool: { ...base.connectionPool, ...connectionPool } });
  const { description: _d, ...agentStrategy } = merged;
  return agentStrategy;
}
