import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { demoMesh } from "./fixtures/demo-mesh";
import { issuesFromZod } from "./issue";
import { AccessRule, DatabaseEndpoint, Environment, MeshDefinition, TrafficStrategy, VirtualDatabase } from "./schemas";

const endpoint = {
  name: "pg-main",
  environment: "dev",
  host: "127.0.0.1",
  port: 5432,
  database: "app",
  username: "postgres",
};
const strategy = { name: "shop-default" };
const vdb = { name: "orders", environment: "dev", backends: ["pg-main"] };
const rule = { name: "read-all", virtualDatabase: "orders", operations: ["select"], tables: ["*"], effect: "ALLOW" };

// Each case: one thing wrong, and the message (with its path) a person would see.
const rejected: { case: string; schema: z.ZodType; input: unknown; message: unknown }[] = [
  { case: "port 70000", schema: DatabaseEndpoint, input: { ...endpoint, port: 70000 }, message: "port: port must be between 1 and 65535" },
  { case: "port 0", schema: DatabaseEndpoint, input: { ...endpoint, port: 0 }, message: "port: port must be between 1 and 65535" },
  { case: "port not a number", schema: DatabaseEndpoint, input: { ...endpoint, port: "abc" }, message: "port: port must be a number" },
  { case: "fractional port", schema: DatabaseEndpoint, input: { ...endpoint, port: 5432.5 }, message: "port: port must be a whole number" },
  { case: "empty name", schema: Environment, input: { name: "" }, message: "name: name is required" },
  { case: "blank name", schema: Environment, input: { name: "   " }, message: "name: name is required" },
  { case: "missing name", schema: Environment, input: {}, message: "name: name is required" },
  {
    case: "uppercase name",
    schema: Environment,
    input: { name: "Prod" },
    message: "name: name must be lowercase letters, digits, '-' or '_', starting and ending with a letter or digit",
  },
  {
    case: "name ending in a dash",
    schema: VirtualDatabase,
    input: { ...vdb, name: "orders-" },
    message: "name: name must be lowercase letters, digits, '-' or '_', starting and ending with a letter or digit",
  },
  { case: "64-character name", schema: Environment, input: { name: "a".repeat(64) }, message: "name: name must be at most 63 characters" },
  { case: "empty host", schema: DatabaseEndpoint, input: { ...endpoint, host: "" }, message: "host: host is required" },
  { case: "host with a space", schema: DatabaseEndpoint, input: { ...endpoint, host: "db one" }, message: "host: host must be a hostname or an IP address" },
  { case: "weight 0", schema: DatabaseEndpoint, input: { ...endpoint, weight: 0 }, message: "weight: weight must be at least 1" },
  { case: "empty user", schema: DatabaseEndpoint, input: { ...endpoint, username: "" }, message: "username: user is required" },
  {
    case: "label key with a space",
    schema: DatabaseEndpoint,
    input: { ...endpoint, labels: { "my app": "shop" } },
    message: "labels[\"my app\"]: label keys are letters, digits, '-', '_', '.', '/'",
  },
  {
    case: "bad regex in a circuit break",
    schema: TrafficStrategy,
    input: { ...strategy, circuitBreaks: [{ name: "no-drop", regex: ["(drop"] }] },
    message: "circuitBreaks.0.regex.0: not a valid regular expression",
  },
  {
    case: "circuit break with nothing to match",
    schema: TrafficStrategy,
    input: { ...strategy, circuitBreaks: [{ name: "no-drop" }] },
    message: "circuitBreaks.0.regex: a circuit break needs a regex, a statement kind or a table",
  },
  {
    case: "circuit break with operations but no table",
    schema: TrafficStrategy,
    input: { ...strategy, circuitBreaks: [{ name: "no-delete", operations: ["delete"], statementKinds: ["ddl"] }] },
    message: "circuitBreaks.0.tables: operations apply to the tables of a circuit break: give a table pattern",
  },
  {
    case: "circuit break with a bad table pattern",
    schema: TrafficStrategy,
    input: { ...strategy, circuitBreaks: [{ name: "no-x", tables: ["a.b.c"] }] },
    message: "circuitBreaks.0.tables.0: a table pattern is 'table', 'schema.table', 'schema.*' or '*'",
  },
  {
    case: "circuit break with an unknown operation",
    schema: TrafficStrategy,
    input: { ...strategy, circuitBreaks: [{ name: "no-x", tables: ["t"], operations: ["drop"] }] },
    message: "circuitBreaks.0.operations.0: Invalid option: expected one of \"all\"|\"select\"|\"insert\"|\"update\"|\"delete\"|\"merge\"|\"truncate\"|\"copy\"|\"ddl\"|\"call\"",
  },
  {
    case: "duplicate circuit break names",
    schema: TrafficStrategy,
    input: {
      ...strategy,
      circuitBreaks: [
        { name: "b", regex: ["^drop"] },
        { name: "b", regex: ["^truncate"] },
      ],
    },
    message: "circuitBreaks: circuit break names must be unique",
  },
  {
    case: "regex routing rule without a regex",
    schema: TrafficStrategy,
    input: { ...strategy, readWriteSplitting: { enabled: true, rules: [{ name: "r", type: "regex", target: "replica" }] } },
    message:
      "readWriteSplitting.rules.0.regex: a regex rule needs at least one regex; a statement rule needs at least one statement kind",
  },
  {
    case: "unknown statement kind",
    schema: TrafficStrategy,
    input: { ...strategy, concurrencyControls: [{ name: "c", statementKinds: ["vacuum"], maxConcurrency: 5 }] },
    message: expect.stringMatching(/^concurrencyControls\.0\.statementKinds\.0: Invalid option: expected one of "select"/),
  },
  {
    case: "max concurrency 0",
    schema: TrafficStrategy,
    input: { ...strategy, concurrencyControls: [{ name: "c", regex: ["^select"], maxConcurrency: 0 }] },
    message: "concurrencyControls.0.maxConcurrency: max concurrency must be at least 1",
  },
  { case: "pool size 0", schema: TrafficStrategy, input: { ...strategy, connectionPool: { maxSize: 0 } }, message: "connectionPool.maxSize: pool size must be at least 1" },
  {
    case: "virtual database without backends",
    schema: VirtualDatabase,
    input: { ...vdb, backends: [] },
    message: "backends: choose at least one backend endpoint or a label selector",
  },
  { case: "missing operations", schema: AccessRule, input: { ...rule, operations: undefined }, message: "operations: choose at least one operation" },
  { case: "no operations", schema: AccessRule, input: { ...rule, operations: [] }, message: "operations: choose at least one operation" },
  {
    case: "missing tables",
    schema: AccessRule,
    input: { ...rule, tables: undefined },
    message: "tables: give at least one table pattern ('*' for all)",
  },
  {
    case: "three-part table pattern",
    schema: AccessRule,
    input: { ...rule, tables: ["db.public.orders"] },
    message: "tables.0: a table pattern is 'table', 'schema.table', 'schema.*' or '*'",
  },
];

describe("mesh schemas", () => {
  it.each(rejected)("rejects $case with a readable message", ({ schema, input, message }) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(issuesFromZod(result.error).map((i) => i.message)).toContainEqual(message);
  });

  it("reports only the field that is wrong", () => {
    const result = DatabaseEndpoint.safeParse({ ...endpoint, port: 70000 });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(issuesFromZod(result.error)).toEqual([{ path: "port", message: "port: port must be between 1 and 65535" }]);
  });

  it("fills defaults so a minimal definition is complete", () => {
    expect(DatabaseEndpoint.parse(endpoint)).toMatchObject({ protocol: "POSTGRESQL", role: "PRIMARY", weight: 1, labels: {} });
    const parsed = TrafficStrategy.parse(strategy);
    expect(parsed.loadBalance).toBe("round_robin");
    expect(parsed.readWriteSplitting).toEqual({ enabled: false, defaultTarget: "replica", rules: [] });
    expect(parsed.connectionPool.mode).toBe("transaction");
    expect(AccessRule.parse(rule).credential).toBeNull();
  });

  it("accepts tables alone as a circuit break's matcher, with or without operations", () => {
    const parsed = TrafficStrategy.parse({
      ...strategy,
      circuitBreaks: [{ name: "frozen", tables: ["finance.*", "ledger"], operations: ["delete", "truncate"] }, { name: "secrets", tables: ["secrets"] }],
    });
    expect(parsed.circuitBreaks).toEqual([
      { name: "frozen", regex: [], statementKinds: [], tables: ["finance.*", "ledger"], operations: ["delete", "truncate"] },
      { name: "secrets", regex: [], statementKinds: [], tables: ["secrets"], operations: [] },
    ]);
  });

  it("accepts a port given as text, as forms and YAML send it", () => {
    expect(DatabaseEndpoint.parse({ ...endpoint, port: "6432" }).port).toBe(6432);
  });

  it("accepts the demo mesh as it is", () => {
    expect(MeshDefinition.parse(demoMesh)).toEqual(demoMesh);
  });
});
