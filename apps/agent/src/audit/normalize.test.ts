import { describe, expect, it } from "vitest";
import { normalizeStatement, splitStatements, statementFingerprint } from "./normalize";

describe("normalizeStatement", () => {
  it.each([
    ["SELECT * FROM t WHERE id = 42", "SELECT * FROM t WHERE id = $1"],
    ["select 1.5e-3, .5, 0x1F, 1_000", "select $1, $2, $3, $4"],
    ["SELECT 'it''s', E'a\\'b', B'101', X'ff', N'n', U&'d\\0061t'", "SELECT $1, $2, $3, $4, $5, $6"],
    ["SELECT $tag$ body; 'x' $tag$, $$y$$", "SELECT $1, $2"],
    ["SELECT * FROM t WHERE a = $1 AND b = 7", "SELECT * FROM t WHERE a = $1 AND b = $2"],
    ['SELECT "col 1", t2.x3 FROM "T 9" t2', 'SELECT "col 1", t2.x3 FROM "T 9" t2'],
    ["SELECT 1 -- 'not a string' 2\n, 3 /* 4 /* nested */ '5' */", "SELECT $1 -- 'not a string' 2\n, $2 /* 4 /* nested */ '5' */"],
    ["INSERT INTO t VALUES (-1, 'a')", "INSERT INTO t VALUES (-$1, $2)"],
    ["SELECT now()", "SELECT now()"],
  ])("%s", (input, expected) => {
    expect(normalizeStatement(input)).toBe(expected);
  });

  it("replaces at least what the analyzer's literal shape does, so literal variants normalize alike", () => {
    expect(normalizeStatement("UPDATE t SET v = 'a' WHERE id = 1")).toBe(normalizeStatement("UPDATE t SET v = 'bbb' WHERE id = 2147483648"));
  });
});

describe("splitStatements", () => {
  it("splits at top-level semicolons only", () => {
    const sql = "SELECT ';'; SELECT $$;$$; -- ;\nSELECT \"a;b\" /* ; */;  ; SELECT E'\\';'";
    expect(splitStatements(sql).map(([s, e]) => sql.slice(s, e).trim())).toEqual([
      "SELECT ';'",
      "SELECT $$;$$",
      '-- ;\nSELECT "a;b" /* ; */',
      "SELECT E'\\';'",
    ]);
  });
});

describe("statementFingerprint", () => {
  it("ignores whitespace runs, not case or text", () => {
    expect(statementFingerprint("SELECT  $1\n FROM t")).toBe(statementFingerprint(" SELECT $1 FROM t"));
    expect(statementFingerprint("SELECT $1 FROM t")).not.toBe(statementFingerprint("SELECT $1 FROM u"));
    expect(statementFingerprint("x")).toMatch(/^[0-9a-f]{16}$/);
  });
});
