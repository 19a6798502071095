import { describe, expect, it } from "vitest";
import { type AccessStatement, accessPolicyOf, DEFAULT_SEARCH_PATH, decideStatements, expandSearchPath, initialSearchPath, widenSearchPath } from "./access-decide";
import { sortAccessRules } from "./access-rule-order";

const rules = sortAccessRules([
  { name: "read-all", credential: null, effect: "ALLOW" as const, operations: ["select" as const], table: "*" },
  { name: "deny-audit", credential: null, effect: "DENY" as const, operations: ["all" as const], table: "audit.*" },
  { name: "ops-copy", credential: "ops", effect: "ALLOW" as const, operations: ["copy" as const], table: "public.*" },
  { name: "ops-do", credential: "ops", effect: "ALLOW" as const, operations: ["call" as const], table: "do" },
]);
const policy = accessPolicyOf({ name: "v", accessRules: rules, accessDefault: "deny", dangerousFunctions: ["my_exec"] });

const stmt = (s: Partial<AccessStatement>): AccessStatement => ({ kind: "select", tables: [], functions: [], opaque: [], settings: [], ...s });
const select = (name: string, schema: string | null = null) => stmt({ tables: [{ schema, name, operation: "select" }] });

describe("decideStatements", () => {
  it("resolves an unqualified name in every schema a SET earlier in the text may have put on the path", () => {
    const d = decideStatements({ policy, credential: "app", statements: [stmt({ kind: "set", settings: [{ kind: "search_path", schemas: ["audit", "public"], local: false }] }), select("t")] });
    expect(d).toMatchObject({ allowed: false, rule: "deny-audit", refusedStatement: 1 });
    expect(d.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(["public.t", "audit.t"]);
  });

  it("refuses unqualified names once the path cannot be followed", () => {
    const d = decideStatements({ policy, credential: "app", statements: [stmt({ settings: [{ kind: "search_path_unknown" }] }), select("t")] });
    expect(d.allowed).toBe(false);
    expect(d.reason).toMatch(/qualify it with its schema/);
    expect(decideStatements({ policy, credential: "app", statements: [stmt({ settings: [{ kind: "search_path_unknown" }] }), select("t", "public")] }).allowed).toBe(true);
  });

  it("never lets copy or call fall to the default, even an allowing one, once the database is governed", () => {
    const open = accessPolicyOf({ name: "v", accessRules: rules, accessDefault: "allow", dangerousFunctions: [] });
    const copy = stmt({ kind: "copy", tables: [{ schema: null, name: "t", operation: "copy" }] });
    expect(decideStatements({ policy: open, credential: "app", statements: [copy] }).allowed).toBe(false);
    expect(decideStatements({ policy: open, credential: "ops", statements: [copy] })).toMatchObject({ allowed: true, rule: "ops-copy" });
    const doBlock = stmt({ kind: "call", opaque: [{ schema: null, name: "do" }] });
    expect(decideStatements({ policy: open, credential: "app", statements: [doBlock] }).allowed).toBe(false);
    expect(decideStatements({ policy: open, credential: "ops", statements: [doBlock] })).toMatchObject({ allowed: true, rule: "ops-do" });
  });

  it("leaves a database with no rule and the default allow ungoverned: a plain proxy", () => {
    const none = accessPolicyOf({ name: "v", accessRules: [], accessDefault: "allow", dangerousFunctions: [] });
    const risky = stmt({ kind: "call", opaque: [{ schema: null, name: "do" }], functions: [{ schema: null, name: "pg_read_file" }] });
    expect(decideStatements({ policy: none, credential: "app", statements: [risky] }).allowed).toBe(true);
  });

  it("refuses the built-in and the virtual database's own dangerous functions, schema-qualified or not", () => {
    for (const fn of [{ schema: null, name: "pg_read_file" }, { schema: "pg_catalog", name: "pg_ls_waldir" }, { schema: "public", name: "dblink_exec" }, { schema: null, name: "my_exec" }]) {
      const d = decideStatements({ policy, credential: "app", statements: [stmt({ functions: [fn] })] });
      expect(d.allowed, fn.name).toBe(false);
      expect(d.reason).toContain(`call of ${fn.schema ?? "pg_catalog"}.${fn.name}`);
    }
    expect(decideStatements({ policy, credential: "app", statements: [stmt({ functions: [{ schema: null, name: "lower" }] })] }).allowed).toBe(true);
  });

  it("asks UPDATE for row locks (SELECT … FOR UPDATE/SHARE), as PostgreSQL does", () => {
    const locking = stmt({ kind: "select_for_update", tables: [{ schema: "public", name: "t", operation: "select" }] });
    const d = decideStatements({ policy, credential: "viewer", statements: [locking] });
    expect(d).toMatchObject({ allowed: false, rule: null });
    expect(d.reason).toBe('update on public.t is refused by the default of virtual database "v" (deny)');
  });

  it("fails closed on a parse error and names the default when no rule matched", () => {
    expect(decideStatements({ policy, credential: "app", statements: [], error: "syntax error at or near \"SELEC\"" })).toMatchObject({ allowed: false, refusedStatement: 0 });
    const ddl = decideStatements({ policy, credential: "app", statements: [stmt({ kind: "ddl", tables: [{ schema: null, name: "t", operation: "ddl" }] })] });
    expect(ddl.reason).toBe('ddl on public.t is refused by the default of virtual database "v" (deny)');
  });
});

describe("search paths", () => {
  it("expands $user to the backend users and leaves out pg_catalog and pg_temp", () => {
    expect(expandSearchPath(["$user", "public", "pg_catalog", "pg_temp", "app"], ["postgres"])).toEqual(["postgres", "public", "app"]);
  });
  it("only ever widens", () => {
    expect(widenSearchPath(["public"], [{ kind: "search_path", schemas: ["audit"], local: true }], [])).toEqual(["public", "audit"]);
    expect(widenSearchPath(["public", "audit"], [{ kind: "search_path", schemas: null, local: false }], [])).toEqual(["public", "audit"]);
  });
});

describe("a virtual database's initial search path", () => {
  // A schema-placed self-service database: default deny, everything allowed in its own schema only.
  const schemaRules = sortAccessRules([{ name: "owner-app", credential: "app", effect: "ALLOW" as const, operations: ["all" as const], table: "team_a.*" }]);
  const placed = accessPolicyOf({ name: "a", accessRules: schemaRules, accessDefault: "deny", dangerousFunctions: [], searchPath: ["team_a"] });
  const create = (name: string, schema: string | null = null) => stmt({ kind: "ddl", tables: [{ schema, name, operation: "ddl" }] });
  const reset = stmt({ kind: "set", settings: [{ kind: "search_path", schemas: null, local: false }] });

  it("resolves unqualified names in it from the first statement", () => {
    expect(decideStatements({ policy: placed, credential: "app", statements: [create("t"), select("t")] })).toMatchObject({ allowed: true, rule: "owner-app" });
    const d = decideStatements({ policy: placed, credential: "app", statements: [create("t")] });
    expect(d.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(["team_a.t"]);
    // Outside it, qualified, the default still refuses.
    expect(decideStatements({ policy: placed, credential: "app", statements: [select("secret", "public")] })).toMatchObject({ allowed: false, rule: null });
    expect(decideStatements({ policy: placed, credential: "other", statements: [select("t")] }).allowed).toBe(false);
  });

  it("is what RESET goes back to (and a SET to public still widens to public)", () => {
    expect(decideStatements({ policy: placed, credential: "app", statements: [reset, select("t")] }).allowed).toBe(true);
    const widened = decideStatements({ policy: placed, credential: "app", statements: [stmt({ kind: "set", settings: [{ kind: "search_path", schemas: ["public"], local: false }] }), select("t")] });
    expect(widened).toMatchObject({ allowed: false, refusedStatement: 1 });
    expect(widened.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(["team_a.t", "public.t"]);
    expect(widenSearchPath(["team_a", "public"], reset.settings, [], ["team_a"])).toEqual(["team_a", "public"]);
    expect(widenSearchPath(["other"], reset.settings, [], ["team_a"])).toEqual(["other", "team_a"]);
  });

  it("an explicit session path (the console's) overrides it; empty or absent means the server default", () => {
    expect(decideStatements({ policy: placed, credential: "app", statements: [select("t")], searchPath: ["public"] }).allowed).toBe(false);
    expect(initialSearchPath([])).toBe(DEFAULT_SEARCH_PATH);
    expect(initialSearchPath(undefined)).toBe(DEFAULT_SEARCH_PATH);
    expect(initialSearchPath(["b", "a"])).toEqual(["b", "a"]);
    expect(policy.searchPath).toBe(DEFAULT_SEARCH_PATH);
  });
});
