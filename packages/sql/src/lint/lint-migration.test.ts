import { beforeAll, describe, expect, it } from "vitest";
import { lintMigration, loadMigrationLinter } from "./lint-migration";
import { LINT_RULES, defaultLintPolicy } from "./rules";
import type { MigrationLinter } from "./types";

let linter: MigrationLinter;
beforeAll(async () => {
  linter = await loadMigrationLinter();
});

describe("lintMigration", () => {
  it("points each finding at the line and column of what it is about, in a multi-line migration with comments", () => {
    const sql = [
      "-- 0042: accounts",
      "/* reviewed by",
      "   the data team; */",
      "CREATE TABLE accounts (",
      "  id serial PRIMARY KEY, -- DM402 on the type",
      "  settings json",
      ");",
      "",
      "ALTER TABLE users",
      "  ADD COLUMN token uuid DEFAULT gen_random_uuid(),",
      "  ALTER COLUMN plan SET NOT NULL;",
      "CREATE INDEX users_token_idx ON",
      "  users (token);",
    ].join("\n");
    const report = linter.lint(sql);
    expect(report.parseError).toBeNull();
    expect(report.statements.map((s) => [s.startLine, s.startColumn, s.endLine, s.endColumn])).toEqual([
      [4, 1, 7, 2],
      [9, 1, 11, 33],
      [12, 1, 13, 16],
    ]);
    expect(report.findings.map((f) => [f.code, f.statementIndex, f.line, f.column])).toEqual([
      ["DM402", 0, 5, 6],
      ["DM403", 0, 6, 12],
      ["PG302", 1, 10, 14],
      // SET NOT NULL has no location in the tree: the column's name is found in the text.
      ["MF104", 1, 11, 16],
      ["PG303", 1, 11, 16],
      ["PG101", 2, 13, 3],
    ]);
    const pg302 = report.findings.find((f) => f.code === "PG302")!;
    expect(pg302).toMatchObject({ severity: "warning" });
    expect(pg302.message).toContain('"users.token"');
    expect(pg302.message).toContain("gen_random_uuid");
  });

  it("finds the subcommands and names the tree gives no location, in order", () => {
    const sql = [
      "ALTER TABLE orders",
      "  ADD CHECK (total > 0),",
      "  DROP COLUMN legacy,",
      '  ALTER COLUMN "Plan" SET NOT NULL,',
      "  DROP CONSTRAINT fk_x;",
      "ALTER TABLE orders RENAME COLUMN orders TO b;",
      'DROP TABLE a,\n  "B";',
    ].join("\n");
    expect(linter.lint(sql).findings.map((f) => [f.code, f.line, f.column])).toEqual([
      ["PG305", 2, 7],
      ["DS103", 3, 15],
      ["MF104", 4, 16],
      ["PG303", 4, 16],
      ["CD101", 5, 19],
      ["BC102", 6, 34],
      ["DS102", 7, 12],
      ["DS102", 8, 3],
    ]);
  });

  it("applies a policy: disabled rules are dropped, severities replaced, missing codes keep the default", () => {
    const sql = "DROP TABLE orders; UPDATE users SET plan = 'free'; CREATE INDEX i ON t (a)";
    expect(linter.lint(sql).findings.map((f) => [f.code, f.severity])).toEqual([
      ["DS102", "error"],
      ["DM201", "warning"],
      ["PG101", "warning"],
    ]);
    const policy = {
      DS102: { enabled: true, severity: "warning" as const },
      DM201: { enabled: false, severity: "error" as const },
      XX999: { enabled: true, severity: "error" as const },
    };
    expect(linter.lint(sql, policy).findings.map((f) => [f.code, f.severity])).toEqual([
      ["DS102", "warning"],
      ["PG101", "warning"],
    ]);
    // The default policy names every rule and changes nothing.
    expect(Object.keys(defaultLintPolicy()).sort()).toEqual(LINT_RULES.map((r) => r.code).sort());
    expect(linter.lint(sql, defaultLintPolicy())).toEqual(linter.lint(sql));
  });

  it("keeps linting the statements after a syntax error", async () => {
    const report = await lintMigration("DROP TABLE a;\nALTER TABLE b ADD COLUMN c int NOT NUL;\nTRUNCATE d;");
    expect(report.parseError).toEqual({ message: 'syntax error at or near "NUL"', line: 2, column: 36 });
    expect(report.findings.map((f) => [f.code, f.statementIndex, f.line])).toEqual([
      ["DS102", 0, 1],
      ["DM203", 1, 3],
    ]);
  });

  it("treats a table as existing unless the migration created it, following renames and drops", () => {
    const codes = (sql: string) => linter.lint(sql).findings.map((f) => f.code);
    expect(codes("CREATE TABLE t (id int PRIMARY KEY); ALTER TABLE t RENAME TO u; CREATE INDEX ON u (id)")).toEqual([]);
    expect(codes("CREATE TABLE t (id int PRIMARY KEY); DROP TABLE t; CREATE INDEX ON t (id)")).toEqual(["PG101"]);
    expect(codes("CREATE TABLE app.t (id int PRIMARY KEY); CREATE INDEX ON app.t (id)")).toEqual([]);
  });

  it("stays quiet on a well-written migration (CREATE TABLE without IF NOT EXISTS is not a finding)", () => {
    const sql = [
      "CREATE TABLE teams (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
      "CREATE TABLE members (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, team_id bigint NOT NULL REFERENCES teams (id), settings jsonb)",
      "CREATE INDEX members_team_id_idx ON members (team_id)",
      "ALTER TABLE users ADD COLUMN team_id bigint",
      "ALTER TABLE users ADD CONSTRAINT users_team_fk FOREIGN KEY (team_id) REFERENCES teams (id) NOT VALID",
      "ALTER TABLE users VALIDATE CONSTRAINT users_team_fk",
      "INSERT INTO teams (name) SELECT DISTINCT team_name FROM users WHERE team_name IS NOT NULL",
      "COMMENT ON TABLE teams IS 'Teams; one per customer'",
    ].join(";\n");
    expect(linter.lint(sql)).toMatchObject({ findings: [], parseError: null });
  });

  it("says when CASCADE drops more than the statement names", () => {
    const messages = linter.lint("DROP TABLE a CASCADE; DROP TABLE b; ALTER TABLE c DROP COLUMN d CASCADE").findings.map((f) => f.message);
    expect(messages[0]).toContain("CASCADE also drops");
    expect(messages[1]).not.toContain("CASCADE");
    expect(messages[2]).toContain("CASCADE also drops");
  });

  it("reports a NOT NULL column whose DEFAULT is NULL", () => {
    expect(linter.lint("ALTER TABLE t ADD COLUMN a int DEFAULT NULL NOT NULL").findings.map((f) => f.code)).toEqual(["MF103"]);
  });

  it("tells transaction blocks apart: DM301 only inside BEGIN … COMMIT, PG103 only when mixed", () => {
    const findings = linter.lint(
      "BEGIN;\nCREATE INDEX i ON t (a);\nCOMMIT;\nCREATE INDEX CONCURRENTLY j ON t (b);\nBEGIN;\nVACUUM t;\nROLLBACK;",
    ).findings;
    expect(findings.map((f) => [f.code, f.line])).toEqual([
      ["DM302", 1],
      ["PG101", 2],
      ["DM302", 3],
      ["PG103", 4],
      ["DM302", 5],
      ["DM301", 6],
      ["PG103", 6],
      ["DM302", 7],
    ]);
  });

  it("lints a 200-statement migration quickly (generous bound; the real figure is in npm run bench:schema)", () => {
    const statements: string[] = [];
    for (let i = 0; i < 50; i++) {
      statements.push(
        `-- step ${i}\nCREATE TABLE t${i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, at timestamptz DEFAULT now())`,
        `ALTER TABLE existing_${i} ADD COLUMN c${i} text DEFAULT 'x', ADD CONSTRAINT fk${i} FOREIGN KEY (t_id) REFERENCES t${i} (id) NOT VALID`,
        `CREATE INDEX CONCURRENTLY existing_${i}_c_idx ON existing_${i} (c${i})`,
        `CREATE FUNCTION f${i}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END; $$`,
      );
    }
    const sql = statements.join(";\n") + ";";
    const started = performance.now();
    const report = linter.lint(sql);
    const elapsed = performance.now() - started;
    expect(report.statements).toHaveLength(200);
    expect(report.parseError).toBeNull();
    expect(elapsed).toBeLessThan(3000);
    // With a syntax error in the last statement, locating it re-parses prefixes: still well within bounds.
    const broken = performance.now();
    const withError = linter.lint(sql + "\nSELECT FROM WHERE;");
    expect(performance.now() - broken).toBeLessThan(3000);
    expect(withError.statements).toHaveLength(200);
    expect(withError.parseError).toMatchObject({ line: sql.split("\n").length + 1, column: 13 });
  });

  it("reports a statement too deep for the parser as an error of the migration, without throwing", async () => {
    const deep = `SELECT ${Array(60_000).fill("1").join(" + ")}`;
    const report = await lintMigration(`DROP TABLE a;\n${deep};`);
    expect(report.parseError).toMatchObject({ message: "the statement is nested too deeply to analyze", line: 1, column: 1 });
    // The parser replaced its broken instance: the next migration lints normally.
    expect((await lintMigration("DROP TABLE a")).findings.map((f) => f.code)).toEqual(["DS102"]);
  });

  it("lists rules for every category it documents", () => {
    const categories = new Set(LINT_RULES.map((r) => r.category));
    for (const c of ["destructive", "backward-incompatible", "data-dependent", "locking", "rewrite", "naming-and-types", "transaction"]) {
      expect(categories.has(c as never), c).toBe(true);
    }
  });
});
