import { describe, expect, it } from "vitest";
import { PgParser } from "../pg-parser";
import { lintMigration } from "./lint-migration";
import { LINT_RULES } from "./rules";

// Splitting and positions: PostgreSQL's parser says where statements are; these tests pin the translation
// into lines and columns of the text, and the location of syntax errors.

describe("statements of a migration", () => {
  it("splits with positions, skipping comments, keeping semicolons in strings, comments and dollar quotes", async () => {
    const sql = [
      "-- header comment; with a semicolon",
      "CREATE TABLE a (id bigint PRIMARY KEY, note text DEFAULT 'x;y');",
      "/* block; comment /* nested; */ still */ INSERT INTO a VALUES (1, E'it\\'s;');",
      "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$",
      "BEGIN",
      "  RETURN 1; -- inside the body",
      "END;",
      "$body$;",
      "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO a VALUES (2); INSERT INTO a VALUES (3); END;",
      '  SELECT "semi;colon" FROM a  -- trailing comment',
    ].join("\n");
    const report = await lintMigration(sql);
    expect(report.parseError).toBeNull();
    expect(report.statements.map((s) => [s.kind, s.startLine, s.startColumn, s.endLine, s.endColumn])).toEqual([
      ["CREATE TABLE", 2, 1, 2, 64],
      ["INSERT", 3, 42, 3, 77],
      ["CREATE FUNCTION", 4, 1, 8, 7],
      ["CREATE PROCEDURE", 9, 1, 9, 103],
      ["SELECT", 10, 3, 10, 29],
    ]);
    expect(report.statements[1]!.text).toBe("INSERT INTO a VALUES (1, E'it\\'s;')");
    expect(report.statements[2]!.text).toContain("RETURN 1; -- inside the body");
    expect(report.statements[4]!.text).toBe('SELECT "semi;colon" FROM a');
    expect(report.statements.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it("counts columns in characters of the text, not UTF-8 bytes", async () => {
    const report = await lintMigration("SELECT 'żółw 🐢';\nSELECT 'ą'; DROP TABLE orders;");
    expect(report.statements[2]).toMatchObject({ startLine: 2, startColumn: 13, text: "DROP TABLE orders" });
    expect(report.findings).toEqual([
      expect.objectContaining({ code: "DS102", statementIndex: 2, line: 2, column: 24 }),
    ]);
  });

  it("handles files with CRLF line ends", async () => {
    const report = await lintMigration("-- windows\r\nDROP TABLE a;\r\n\r\n  ALTER TABLE b\r\n    DROP COLUMN c;\r\nSELEC 1;\r\n");
    expect(report.statements.map((s) => [s.text, s.startLine, s.startColumn, s.endLine, s.endColumn])).toEqual([
      ["DROP TABLE a", 2, 1, 2, 13],
      ["ALTER TABLE b\r\n    DROP COLUMN c", 4, 3, 5, 18],
    ]);
    expect(report.findings.map((f) => [f.code, f.line, f.column])).toEqual([
      ["DS102", 2, 12],
      ["DS103", 5, 17],
    ]);
    expect(report.parseError).toMatchObject({ line: 6, column: 1 });
  });

  it("reports PostgreSQL's syntax error at the line and column of the offending token", async () => {
    const sql = "CREATE TABLE a (id bigint PRIMARY KEY);\n-- a comment\nALTER TABLE a\n  ADD COLUMN b text NOT NULL DEFAULT 'x' 'y';\nDROP TABLE orders;";
    const report = await lintMigration(sql);
    expect(report.parseError).toEqual({ message: `syntax error at or near "'y'"`, line: 4, column: 42 });
    // The statements around the error are still read, and linted.
    expect(report.statements.map((s) => s.kind)).toEqual(["CREATE TABLE", "DROP TABLE"]);
    expect(report.findings.map((f) => [f.code, f.line])).toEqual([["DS102", 5]]);
  });

  it("resumes after the broken statement's own end, not at a semicolon inside a BEGIN ATOMIC body", async () => {
    const report = await lintMigration(
      [
        "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC",
        "  INSERT INTO a VALUES (1); INSER INTO a VALUES (2); SELECT CASE WHEN true THEN 1 END;",
        "END;",
        "DROP TABLE b;",
      ].join("\n"),
    );
    expect(report.parseError).toMatchObject({ line: 2, column: 29 });
    expect(report.statements.map((s) => s.text)).toEqual(["DROP TABLE b"]);
    expect(report.findings.map((f) => f.code)).toEqual(["DS102"]);
  });

  it("locates an error at the end of the text, an unterminated string, and a misspelt keyword", async () => {
    expect((await lintMigration("SELECT 1;\nSELECT (1")).parseError).toEqual({
      message: "syntax error at end of input",
      line: 2,
      column: 10,
    });
    expect((await lintMigration("SELECT 1;\n  SELECT 'abc")).parseError).toMatchObject({ line: 2, column: 10 });
    expect((await lintMigration("SELECT 1;\nSELECT 1::int; CRATE TABLE t (a int);")).parseError).toEqual({
      message: 'syntax error at or near "CRATE"',
      line: 2,
      column: 16,
    });
  });

  it("gives each statement its command tag and whether it may run in a transaction block", async () => {
    const report = await lintMigration(
      [
        "CREATE INDEX CONCURRENTLY i ON t (a)",
        "CREATE INDEX i2 ON t (a)",
        "DROP INDEX CONCURRENTLY i",
        "REINDEX TABLE CONCURRENTLY t",
        "VACUUM t",
        "ANALYZE t",
        "ALTER TYPE mood ADD VALUE 'meh'",
        "BEGIN",
        "COMMIT",
        "ALTER TABLE t RENAME COLUMN a TO b",
        "CREATE EXTENSION IF NOT EXISTS pgcrypto",
        "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY",
      ].join(";\n"),
    );
    expect(report.statements.map((s) => [s.kind, s.transactional])).toEqual([
      ["CREATE INDEX", false],
      ["CREATE INDEX", true],
      ["DROP INDEX", false],
      ["REINDEX", false],
      ["VACUUM", false],
      ["ANALYZE", true],
      ["ALTER TYPE", true],
      ["BEGIN", false],
      ["COMMIT", false],
      ["ALTER TABLE", true],
      ["CREATE EXTENSION", true],
      ["ALTER TABLE", false],
    ]);
  });

  it("gives texts that parse alone as the same single statement (what the dry run executes)", async () => {
    const parser = await PgParser.load();
    const sql = [
      ...LINT_RULES.flatMap((r) => [r.firesOn, r.passesOn, r.fixExample]),
      "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END -- after\n;",
      "SELECT 1 /* before the semicolon */ ; /* between */ SELECT $q$;$q$ -- last, no semicolon",
    ].join("\n");
    const whole = parser.parse(sql);
    const report = await lintMigration(sql);
    expect(whole.ok && report.statements.length).toBe(whole.ok && whole.tree.stmts!.length);
    for (const statement of report.statements) {
      const alone = parser.parse(statement.text);
      expect(alone.ok && alone.tree.stmts!.length, statement.text).toBe(1);
      expect(statement.text).toBe(statement.text.trim());
      expect(statement.text.endsWith(";")).toBe(false);
      expect(statement.text.startsWith("--") || statement.text.startsWith("/*")).toBe(false);
    }
  });

  it("returns nothing for a text of comments only", async () => {
    expect(await lintMigration("-- nothing here\n/* really */\n")).toEqual({ statements: [], findings: [], parseError: null });
  });
});
