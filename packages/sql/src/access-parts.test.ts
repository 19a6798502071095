import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlAnalyzer } from "./sql-analyzer";
import type { SqlAnalyzer } from "./types";

// What the access decision reads per statement (`parts`): functions called, what cannot be seen into, and
// search-path changes. Tables are covered by sql-analyzer.test.ts; the decision itself end to end by the agent's
// governance/access.int.test.ts.

let analyzer: SqlAnalyzer;
beforeAll(async () => {
  analyzer = await loadSqlAnalyzer();
});

const fn = (name: string, schema: string | null = null) => ({ schema, name });

describe("parts", () => {
  it.each([
    ["SELECT lower(name), pg_read_file('/x') FROM t", { functions: [fn("lower"), fn("pg_read_file")] }],
    ["SELECT * FROM pg_catalog.pg_ls_dir('.')", { functions: [fn("pg_ls_dir", "pg_catalog")] }],
    ['SELECT "PG_READ_FILE"(\'x\')', { functions: [fn("pg_read_file")] }],
    ["INSERT INTO t SELECT dblink_exec('x')", { functions: [fn("dblink_exec")] }],
    ["DO $$ BEGIN PERFORM 1; END $$", { opaque: [fn("do")] }],
    ["EXECUTE p(1)", { opaque: [fn("execute")] }],
    ["CALL app.bump(1)", { opaque: [fn("bump", "app")] }],
    ["LOAD 'auto_explain'", { opaque: [fn("load")] }],
    ["COPY t FROM '/etc/passwd'", { opaque: [fn("copy_file")] }],
    ["COPY t TO PROGRAM 'id'", { opaque: [fn("copy_program")] }],
    ["COPY t TO STDOUT", { opaque: [] }],
    ["SET ROLE admin", { opaque: [fn("set_role")] }],
    ["SET LOCAL ROLE admin", { opaque: [fn("set_role")] }],
    ["SET SESSION AUTHORIZATION admin", { opaque: [fn("set_role")] }],
    ["SET ROLE NONE", { opaque: [] }],
    ["RESET ROLE", { opaque: [] }],
    ["SET search_path = audit, public", { settings: [{ kind: "search_path", schemas: ["audit", "public"], local: false }] }],
    ["SET LOCAL search_path TO audit", { settings: [{ kind: "search_path", schemas: ["audit"], local: true }] }],
    ["SET SCHEMA 'audit'", { settings: [{ kind: "search_path", schemas: ["audit"], local: false }] }],
    ["RESET search_path", { settings: [{ kind: "search_path", schemas: null, local: false }] }],
    ["SET search_path TO DEFAULT", { settings: [{ kind: "search_path", schemas: null, local: false }] }],
    ["RESET ALL", { settings: [{ kind: "search_path", schemas: null, local: false }] }],
    ["DISCARD ALL", { settings: [{ kind: "search_path", schemas: null, local: false }] }],
    ["SELECT set_config('search_path', 'audit, public', false)", { settings: [{ kind: "search_path", schemas: ["audit", "public"], local: false }] }],
    ["SELECT set_config('search_path', current_setting('x'), false)", { settings: [{ kind: "search_path_unknown" }] }],
    ["SELECT set_config(name, 'x', false) FROM t", { settings: [{ kind: "search_path_unknown" }] }],
    ["SELECT set_config('work_mem', '8MB', false)", { settings: [] }],
    ["EXPLAIN ANALYZE SELECT pg_sleep(1)", { functions: [fn("pg_sleep")] }],
  ])("%s", (sql, expected) => {
    const parts = analyzer.analyze(sql).parts;
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject(expected);
  });

  it("keeps statements apart, in order", () => {
    const a = analyzer.analyze("SET search_path = audit; SELECT * FROM login_history; DO $$ BEGIN END $$");
    expect(a.parts.map((p) => p.kind)).toEqual(["set", "select", "call"]);
    expect(a.parts[1]?.tables).toEqual([{ schema: null, name: "login_history", operation: "select" }]);
    expect(a.parts[2]?.opaque).toEqual([fn("do")]);
  });
});
