import { z } from "zod";

// The mesh resources as the API, the console and YAML import all validate them. Resources refer to
// each other by name (not id), so a definition reads the same in the console, in YAML and in the
// compiled agent config.

/** A resource name; `what` names the field in messages ("environment is required"). */
export function resourceName(what = "name") {
  return z
    .string({ error: `${what} is required` })
    .trim()
    .min(1, `${what} is required`)
    .max(63, `${what} must be at most 63 characters`)
    .regex(
      /^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$/,
      `${what} must be lowercase letters, digits, '-' or '_', starting and ending with a letter or digit`,
    );
}

export const ResourceName = resourceName();
export type ResourceName = z.infer<typeof ResourceName>;

const LabelKey = z
  .string()
  .min(1, "label keys cannot be empty")
  .max(63, "label keys must be at most 63 characters")
  .regex(/^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/, "label keys are letters, digits, '-', '_', '.', '/'");
export const Labels = z.record(LabelKey, z.string().max(63, "label values must be at most 63 characters"));
export type Labels = z.infer<typeof Labels>;

/** A JavaScript regular expression, checked to compile so that a bad rule is refused on save, not on the wire. */
export const RegexSource = z
  .string()
  .min(1, "a regex cannot be empty")
  .max(1000, "a regex must be at most 1000 characters")
  .refine((s) => {
    try {
      new RegExp(s, "i");
      return true;
    } catch {
      return false;
    }
  }, "not a valid regular expression");

export const StatementKind = z.enum([
  "select",
  "select_for_update",
  "insert",
  "update",
  "delete",
  "merge",
  "copy",
  "ddl",
  "truncate",
  "transaction",
  "set",
  "show",
  "explain",
  "call",
  "other",
]);
export type StatementKind = z.infer<typeof StatementKind>;

export const Environment = z.object({
  name: ResourceName,
  description: z.string().max(500).default(""),
  production: z.boolean().default(false),
});
export type Environment = z.infer<typeof Environment>;

export const Protocol = z.enum(["POSTGRESQL", "MYSQL"]);
export const EndpointRole = z.enum(["PRIMARY", "REPLICA"]);

const Hostname = z
  .string()
  .trim()
  .min(1, "host is required")
  .max(253, "host must be at most 253 characters")
  .regex(/^[A-Za-z0-9._:-]+$/, "host must be a hostname or an IP address");

export const DatabaseEndpoint = z.object({
  name: ResourceName,
  environment: resourceName("environment"),
  protocol: Protocol.default("POSTGRESQL"),
  host: Hostname,
  port: z.coerce
    .number({ error: "port must be a number" })
    .int("port must be a whole number")
    .min(1, "port must be between 1 and 65535")
    .max(65535, "port must be between 1 and 65535"),
  database: z.string().trim().min(1, "database is required").max(63),
  username: z.string().trim().min(1, "user is required").max(63),
  /** Write-only: accepted on create and update, never returned. Omitted on update = keep. */
  password: z.string().max(1000).optional(),
  role: EndpointRole.default("PRIMARY"),
  weight: z.coerce.number().int().min(1, "weight must be at least 1").max(1000, "weight must be at most 1000").default(1),
  labels: Labels.default({}),
});
export type DatabaseEndpoint = z.infer<typeof DatabaseEndpoint>;

export const LoadBalanceAlgorithm = z.enum(["round_robin", "random", "least_connections", "weighted"]);
export type LoadBalanceAlgorithm = z.infer<typeof LoadBalanceAlgorithm>;

export const RouteTarget = z.enum(["primary", "replica"]);

export const ReadWriteRule = z
  .object({
    name: ResourceName,
    type: z.enum(["regex", "statement"]),
    regex: z.array(RegexSource).default([]),
    statementKinds: z.array(StatementKind).default([]),
    target: RouteTarget,
  })
  .refine((r) => (r.type === "regex" ? r.regex.length > 0 : r.statementKinds.length > 0), {
    message: "a regex rule needs at least one regex; a statement rule needs at least one statement kind",
    path: ["regex"],
  });

export const ReadWriteSplitting = z.object({
  enabled: z.boolean().default(false),
  /** Where a read-only statement outside a transaction goes when no rule matches. */
  defaultTarget: RouteTarget.default("replica"),
  rules: z.array(ReadWriteRule).default([]),
});
export type ReadWriteSplitting = z.infer<typeof ReadWriteSplitting>;

export const ConnectionPool = z.object({
  mode: z.enum(["session", "transaction"]).default("transaction"),
  maxSize: z.coerce.number().int().min(1, "pool size must be at least 1").max(10000).default(20),
  minIdle: z.coerce.number().int().min(0).max(10000).default(0),
  acquireTimeoutMs: z.coerce.number().int().min(1).max(600000).default(5000),
  idleTimeoutMs: z.coerce.number().int().min(0).max(86400000).default(600000),
  maxLifetimeMs: z.coerce.number().int().min(0).max(86400000).default(3600000),
});
export type ConnectionPool = z.infer<typeof ConnectionPool>;

export const AccessOperation = z.enum([
  "all",
  "select",
  "insert",
  "update",
  "delete",
  "merge",
  "truncate",
  "copy",
  "ddl",
  "call",
]);
export type AccessOperation = z.infer<typeof AccessOperation>;

/** `schema.table`, `table` (any schema), `schema.*` or `*`; `*` matches any run of characters. */
export const TablePattern = z
  .string()
  .trim()
  .min(1, "a table pattern cannot be empty")
  .max(200)
  .regex(/^[A-Za-z0-9_*$]+(\.[A-Za-z0-9_*$]+)?$/, "a table pattern is 'table', 'schema.table', 'schema.*' or '*'");

const MatchRule = {
  name: ResourceName,
  regex: z.array(RegexSource).default([]),
  statementKinds: z.array(StatementKind).default([]),
};
const needsMatcher = (r: { regex: string[]; statementKinds: string[] }) => r.regex.length + r.statementKinds.length > 0;

/**
 * A deny rule: a statement is refused (SQLSTATE 42501 naming the rule) when any of its matchers hits. Each
 * statement of a multi-statement text is judged alone, and a prepared statement at Parse.
 */
export const CircuitBreak = z
  .object({
    name: ResourceName,
    /**
     * Case-insensitive regexes matched against each statement's normalized text, not the client's spelling:
     * comments stripped, every run of whitespace one space, unquoted keywords and names lower case, quoted names
     * that need no quotes bare, literal values replaced by `$n` (`/* x *\/ DROP  TABLE "t"` reads `drop table t`).
     */
    regex: z.array(RegexSource).default([]),
    /** The statement's kind (of each statement of a text). */
    statementKinds: z.array(StatementKind).default([]),
    /**
     * Table patterns as access rules write them (`schema.table`, `table`, `schema.*`, `*`): hits a statement
     * touching a matching table; unqualified names resolve through the session's search path as for access rules.
     */
    tables: z.array(TablePattern).default([]),
    /** Limits `tables` to these operations on the table; empty (or `all`): any operation. */
    operations: z.array(AccessOperation).default([]),
  })
  .refine((r) => r.regex.length + r.statementKinds.length + r.tables.length > 0, {
    message: "a circuit break needs a regex, a statement kind or a table",
    path: ["regex"],
  })
  .refine((r) => r.operations.length === 0 || r.tables.length > 0, {
    message: "operations apply to the tables of a circuit break: give a table pattern",
    path: ["tables"],
  });
export type CircuitBreak = z.infer<typeof CircuitBreak>;

export const ConcurrencyControl = z
  .object({
    ...MatchRule,
    maxConcurrency: z.coerce.number().int().min(1, "max concurrency must be at least 1").max(100000),
    /** How long a statement may wait for a slot before it is refused. */
    waitTimeoutMs: z.coerce.number().int().min(0).max(600000).default(1000),
  })
  .refine(needsMatcher, { message: "a concurrency control needs a regex or a statement kind", path: ["regex"] });
export type ConcurrencyControl = z.infer<typeof ConcurrencyControl>;

const uniqueNames = (items: { name: string }[]) => new Set(items.map((i) => i.name)).size === items.length;

export const TrafficStrategy = z.object({
  name: ResourceName,
  description: z.string().max(500).default(""),
  loadBalance: LoadBalanceAlgorithm.default("round_robin"),
  readWriteSplitting: ReadWriteSplitting.default({ enabled: false, defaultTarget: "replica", rules: [] }),
  connectionPool: ConnectionPool.default({
    mode: "transaction",
    maxSize: 20,
    minIdle: 0,
    acquireTimeoutMs: 5000,
    idleTimeoutMs: 600000,
    maxLifetimeMs: 3600000,
  }),
  circuitBreaks: z.array(CircuitBreak).default([]).refine(uniqueNames, "circuit break names must be unique"),
  concurrencyControls: z
    .array(ConcurrencyControl)
    .default([])
    .refine(uniqueNames, "concurrency control names must be unique"),
});
export type TrafficStrategy = z.infer<typeof TrafficStrategy>;

/** What a statement no access rule covers gets. */
export const AccessDefault = z.enum(["allow", "deny"]);
export type AccessDefault = z.infer<typeof AccessDefault>;

export const AuditMode = z.enum(["all", "writes", "denied", "sample", "off"]);
export type AuditMode = z.infer<typeof AuditMode>;

/** Which statements the agent records in the SQL audit trail, and how much of their text. */
export const AuditPolicy = z.object({
  /** all; writes (and DDL) only; denied only; a sample (`sampleRate`) of all; off. */
  mode: AuditMode.default("all"),
  sampleRate: z.coerce.number({ error: "sample rate must be a number" }).min(0, "sample rate is between 0 and 1").max(1, "sample rate is between 0 and 1").default(0.1),
  /** Keep literal values in the recorded text (else they are replaced by $n placeholders). */
  keepLiterals: z.boolean().default(false),
});
export type AuditPolicy = z.infer<typeof AuditPolicy>;
export const DEFAULT_AUDIT_POLICY: AuditPolicy = { mode: "all", sampleRate: 0.1, keepLiterals: false };

const PerSecond = z.coerce
  .number({ error: "a rate must be a number" })
  .int("a rate is a whole number of statements per second")
  .min(1, "a rate must be at least 1 statement per second")
  .max(1_000_000, "a rate must be at most 1,000,000 statements per second")
  .nullable()
  .default(null);

/** Statements per second (token buckets in the agent); null: no limit. */
export const RateLimits = z.object({
  perCredentialPerSecond: PerSecond,
  perDatabasePerSecond: PerSecond,
});
export type RateLimits = z.infer<typeof RateLimits>;
export const NO_RATE_LIMITS: RateLimits = { perCredentialPerSecond: null, perDatabasePerSecond: null };

/** A function name as a dangerous-function entry: `name` or `schema.name`, `*` as a wildcard run (`dblink*`). */
export const FunctionNamePattern = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, "a function name cannot be empty")
  .max(130, "a function name must be at most 130 characters")
  .regex(/^[a-z0-9_*$]+(\.[a-z0-9_*$]+)?$/, "a function name is 'name' or 'schema.name' ('*' matches any run)");

/**
 * A schema in a virtual database's initial search path: a plain lowercase PostgreSQL identifier, so that it
 * needs no quoting in SQL, in a search_path value or in the backend StartupMessage's `options`.
 */
export const SearchPathSchema = z
  .string()
  .trim()
  .min(1, "a schema name cannot be empty")
  .max(63, "a schema name must be at most 63 characters")
  .regex(/^[a-z_][a-z0-9_]*$/, "a schema name is lowercase letters, digits and '_', not starting with a digit")
  .refine((s) => s !== "pg_catalog" && !s.startsWith("pg_temp"), "pg_catalog and pg_temp are searched anyway: leave them out");

/** The search path a virtual database's sessions start with; empty: the server's default (`"$user", public`). */
export const InitialSearchPath = z
  .array(SearchPathSchema)
  .max(20, "at most 20 schemas")
  .refine((a) => new Set(a).size === a.length, "each schema once")
  .default([]);

export const VirtualDatabase = z
  .object({
    name: ResourceName,
    description: z.string().max(500).default(""),
    environment: resourceName("environment"),
    trafficStrategy: resourceName("traffic strategy").nullable().default(null),
    /** Endpoints chosen directly, by name. */
    backends: z.array(resourceName("backend endpoint")).default([]),
    /** Endpoints whose labels include all of these are backends too. */
    backendSelector: Labels.default({}),
    /** What a table no access rule covers gets. */
    accessDefault: AccessDefault.default("allow"),
    audit: AuditPolicy.default(DEFAULT_AUDIT_POLICY),
    rateLimits: RateLimits.default(NO_RATE_LIMITS),
    /** Refused unless a rule allows `call` on them, on top of the agent's built-in list. */
    dangerousFunctions: z.array(FunctionNamePattern).max(200).default([]),
    /**
     * The search path sessions start with (the agent sends it to the backends at login and judges unqualified
     * names against it); empty: the server's default. A schema-placed self-service database gets its schema.
     */
    searchPath: InitialSearchPath,
  })
  .refine((v) => v.backends.length > 0 || Object.keys(v.backendSelector).length > 0, {
    message: "choose at least one backend endpoint or a label selector",
    path: ["backends"],
  });
export type VirtualDatabase = z.infer<typeof VirtualDatabase>;

export const AccessRule = z.object({
  name: ResourceName,
  virtualDatabase: resourceName("virtual database"),
  /** null: every credential. */
  credential: z.string().trim().min(1).max(63).nullable().default(null),
  // A missing list gets the same guidance as an empty one, instead of zod's "expected array, received undefined".
  operations: z
    .array(AccessOperation, { error: (iss) => (iss.input === undefined ? "choose at least one operation" : undefined) })
    .min(1, "choose at least one operation"),
  tables: z
    .array(TablePattern, {
      error: (iss) => (iss.input === undefined ? "give at least one table pattern ('*' for all)" : undefined),
    })
    .min(1, "give at least one table pattern ('*' for all)"),
  effect: z.enum(["ALLOW", "DENY"]),
  description: z.string().max(500).default(""),
});
export type AccessRule = z.infer<typeof AccessRule>;

/** The whole mesh, as the API snapshots it and YAML carries it. Endpoint passwords may be absent. */
export const MeshDefinition = z.object({
  environments: z.array(Environment).default([]),
  endpoints: z.array(DatabaseEndpoint).default([]),
  trafficStrategies: z.array(TrafficStrategy).default([]),
  virtualDatabases: z.array(VirtualDatabase).default([]),
  accessRules: z.array(AccessRule).default([]),
});
export type MeshDefinition = z.infer<typeof MeshDefinition>;
