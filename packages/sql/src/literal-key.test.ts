import { describe, expect, it } from "vitest";
import { literalShapeKey, ShapeTemplate } from "./literal-key";

// Texts that differ only in literal values must share a key; any other difference (identifiers, keywords,
// operators, quoted identifiers, parameters, whitespace, the lexer's class of a literal) must not.

const sameKey: [why: string, a: string, b: string][] = [
  ["integers", "SELECT abalance FROM pgbench_accounts WHERE aid = 12345;", "SELECT abalance FROM pgbench_accounts WHERE aid = 7;"],
  ["leading zeros still fit in int32", "SELECT 1", "SELECT 00000000002147483647"],
  ["decimals and exponents", "SELECT 1.5, 2.", "SELECT 3e10, 4.25E-3"],
  ["integers past int32 are numbers like decimals", "SELECT 2147483648", "SELECT 1.0"],
  ["strings, empty or with doubled quotes", "SELECT 'a' FROM t", "SELECT 'it''s; DROP TABLE t; --' FROM t"],
  ["strings holding what would be syntax outside them", "SELECT 'x'", "SELECT '$$ /* \" -- '"],
  ["strings spanning lines", "SELECT 'a'", "SELECT 'line\nnext'"],
  ["parameters stay, literals around them change", "UPDATE t SET a = $1, b = 'x' WHERE id = 3", "UPDATE t SET a = $1, b = 'yy' WHERE id = 4"],
  ["typed literals", "SELECT date '2020-01-01', '1'::int", "SELECT date '1999-12-31', '22'::int"],
  ["lists of the same length", "SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (4, 5, 6)"],
  ["several statements", "INSERT INTO t VALUES (1, 'a'); SELECT 2", "INSERT INTO t VALUES (9, 'b'); SELECT 8"],
  ["a literal right after a quoted identifier", 'SELECT "x"1', 'SELECT "x"2'],
];

const differentKey: [why: string, a: string, b: string][] = [
  ["identifiers", "SELECT a FROM t WHERE id = 1", "SELECT b FROM t WHERE id = 1"],
  ["digits inside identifiers", "SELECT * FROM t1 WHERE x = 1", "SELECT * FROM t2 WHERE x = 1"],
  ["qualified names", "SELECT * FROM s.t WHERE x = 1", "SELECT * FROM t WHERE x = 1"],
  ["keywords", "SELECT * FROM t WHERE a = 1 AND b = 2", "SELECT * FROM t WHERE a = 1 OR b = 2"],
  ["keyword case", "SELECT 1", "select 1"],
  ["operators", "SELECT * FROM t WHERE a = 1", "SELECT * FROM t WHERE a <> 1"],
  ["operator length", "SELECT * FROM t WHERE a < 1", "SELECT * FROM t WHERE a <= 1"],
  ["quoted identifiers", 'SELECT * FROM "T" WHERE x = 1', 'SELECT * FROM "t" WHERE x = 1'],
  ["quoted identifiers made of digits", 'SELECT "1", 5 FROM t', 'SELECT "2", 5 FROM t'],
  ["a quoted identifier or a string", "SELECT \"a\", 1 FROM t", "SELECT 'a', 1 FROM t"],
  ["parameter numbers", "SELECT * FROM t WHERE a = $1 AND b = 1", "SELECT * FROM t WHERE a = $2 AND b = 1"],
  ["whitespace", "SELECT 1 FROM t", "SELECT 1  FROM t"],
  ["a sign", "SELECT -1", "SELECT 1"],
  ["integer or decimal", "SELECT 1", "SELECT 1.0"],
  ["int32 or wider", "SELECT 2147483647", "SELECT 2147483648"],
  ["string or number", "SELECT '1'", "SELECT 1"],
  ["one string or two", "SELECT 'a''b'", "SELECT 'a' 'b'"],
  ["list length", "SELECT * FROM t WHERE id IN (1, 2)", "SELECT * FROM t WHERE id IN (1, 2, 3)"],
  ["number of statements", "SELECT 1", "SELECT 1; SELECT 2"],
];

const noKey: [why: string, sql: string][] = [
  ["no literal at all (the exact text is the key)", "SELECT a FROM t WHERE id = $1"],
  ["a line comment", "SELECT 1 -- note"],
  ["a block comment", "SELECT /* note */ 1"],
  ["a dollar quote", "SELECT $$x$$, 1"],
  ["a tagged dollar quote", "SELECT $tag$x$tag$, 1"],
  ["an E string", "SELECT E'a\\nb'"],
  ["an E string in lower case", "SELECT e'a'"],
  ["a U& string", "SELECT U&'d\\0061t\\+000061'"],
  ["a U& identifier (its UESCAPE is a string)", `SELECT 1 FROM U&"d!0061t!+000061" UESCAPE '!'`],
  ["a bit string", "SELECT B'101'"],
  ["a hex bit string", "SELECT X'1F'"],
  ["a national string", "SELECT N'abc'"],
  ["a type name glued to its string", "SELECT date'2020-01-01'"],
  ["a backslash in a string", "SELECT 'a\\'"],
  ["a backslash outside strings", "SELECT 1 \\ 2"],
  ["an unterminated string", "SELECT 'abc"],
  ["an unterminated quoted identifier", 'SELECT "abc'],
  ["non-ASCII in a string", "SELECT 'żółw'"],
  ["non-ASCII in an identifier", "SELECT 1 FROM tabelę"],
  ["non-ASCII in a quoted identifier", 'SELECT 1 FROM "tabelę"'],
  ["a NUL", "SELECT 1\u0000"],
  ["a control character", "SELECT 1\u0001"],
  ["a vertical tab (whitespace only since PostgreSQL 16)", "SELECT\u000b1"],
  ["a hexadecimal integer", "SELECT 0x1F"],
  ["an octal integer", "SELECT 0o17"],
  ["underscores in a number", "SELECT 1_000"],
  ["a number glued to a word", "SELECT 12abc"],
  ["a decimal without its leading digit", "SELECT .5"],
  ["a dangling exponent", "SELECT 1e"],
  ["a signed dangling exponent", "SELECT 1e+"],
  ["a range", "SELECT 1..2"],
  ["a second decimal point", "SELECT 1.5.3"],
  ["a parameter glued to a word", "SELECT $1abc, 1"],
  ["a parameter followed by a point", "SELECT $1.5"],
];

describe("literalShapeKey", () => {
  it.each(sameKey)("gives one key to texts that differ only in literals: %s", (_why, a, b) => {
    const key = literalShapeKey(a);
    expect(key).not.toBeNull();
    expect(literalShapeKey(b)).toBe(key);
  });

  it.each(differentKey)("tells texts apart by %s", (_why, a, b) => {
    const key = literalShapeKey(a);
    expect(key).not.toBeNull();
    expect(literalShapeKey(b)).not.toBeNull();
    expect(literalShapeKey(b)).not.toBe(key);
  });

  it.each(noKey)("gives up (exact text) on %s", (_why, sql) => {
    expect(literalShapeKey(sql)).toBeNull();
  });

  it("reports where each replaced literal starts", () => {
    const offsets: number[] = [];
    const sql = "SELECT 'a''b', 15, t1.c FROM t WHERE x = $1 AND y = 2.5e3";
    literalShapeKey(sql, offsets);
    expect(offsets.map((o) => sql.slice(o, o + 3))).toEqual(["'a'", "15,", "2.5"]);
  });

  it("never produces a key equal to a real statement text (placeholders hold a NUL)", () => {
    expect(literalShapeKey("SELECT 1")).toContain("\u0000");
    expect(literalShapeKey("SELECT 1\u0000")).toBeNull();
  });
});

function templateOf(sql: string): ShapeTemplate {
  const offsets: number[] = [];
  expect(literalShapeKey(sql, offsets)).not.toBeNull();
  const template = ShapeTemplate.of(sql, offsets);
  if (template === null) throw new Error(`no template for ${sql}`);
  return template;
}

// A template answers "does this text have that text's key?" without building the key. Saying yes wrongly would
// hand a statement another statement's analysis (its tables, its access decision), so it is checked against
// literalShapeKey() itself: on the pairs above, and on texts made by replacing, cutting and inserting pieces.
describe("ShapeTemplate", () => {
  it.each(sameKey)("matches a text that differs only in literals: %s", (_why, a, b) => {
    expect(templateOf(a).matches(b)).toBe(true);
    expect(templateOf(a).matches(a)).toBe(true);
  });

  it.each(differentKey)("does not match a text with another key: %s", (_why, a, b) => {
    expect(templateOf(a).matches(b)).toBe(false);
    expect(templateOf(b).matches(a)).toBe(false);
  });

  it.each(noKey)("does not match a text with no key: %s", (_why, sql) => {
    expect(templateOf("SELECT 1 FROM t WHERE a = 'x'").matches(sql)).toBe(false);
  });

  it("does not match a longer or shorter text, or a literal swallowing what follows it", () => {
    const t = templateOf("SELECT abalance FROM pgbench_accounts WHERE aid = 12345;");
    expect(t.matches("SELECT abalance FROM pgbench_accounts WHERE aid = 7;")).toBe(true);
    for (const other of [
      "SELECT abalance FROM pgbench_accounts WHERE aid = 7; DROP TABLE t;",
      "SELECT abalance FROM pgbench_accounts WHERE aid = 7",
      "SELECT abalance FROM pgbench_accounts WHERE aid = 7.5;",
      "SELECT abalance FROM pgbench_accounts WHERE aid = 99999999999;",
      "SELECT abalance FROM pgbench_accounts WHERE aid = 7e1;",
      "SELECT abalance FROM pgbench_accounts WHERE aid = '7';",
      "SELECT abalance FROM pgbench_accounts WHERE aid = ;",
    ]) {
      expect(t.matches(other), other).toBe(false);
    }
    const s = templateOf("SELECT * FROM t WHERE name = 'a' AND id = 1");
    // One string holding what looks like the rest of the statement: the same shape, as literalShapeKey says.
    const inside = "SELECT * FROM t WHERE name = 'x'' AND id = 1 OR ''' AND id = 2";
    expect(s.matches(inside)).toBe(true);
    expect(literalShapeKey(inside)).toBe(literalShapeKey("SELECT * FROM t WHERE name = 'a' AND id = 1"));
    expect(s.matches("SELECT * FROM t WHERE name = 'x\\' AND id = 1")).toBe(false);
    expect(s.matches("SELECT * FROM t WHERE name = 'x")).toBe(false);
  });

  it("agrees with literalShapeKey on 20,000 mutated texts", () => {
    // A seeded generator, so that a failure names a text that can be replayed.
    let seed = 0x2f6b1d3;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return (seed >>> 8) % n;
    };
    const literals = ["0", "7", "42", "2147483647", "2147483648", "007", "1.5", "2.", "3e10", "4E-3", "1e", "1..2", "0x1F", "1_0", "12a"];
    literals.push("''", "'a'", "'it''s'", "'a\\b'", "'x", "'é'", "'--'", "'/*'", "E'a'", "$1", ".5", "-1", "1.5.3", "'a' 'b'");
    const bases = [
      "SELECT abalance FROM pgbench_accounts WHERE aid = 1;",
      "UPDATE t SET a = 'x', b = 2 WHERE id IN (3, 4.5)",
      "INSERT INTO t VALUES (1, 'a'); SELECT 2",
      `SELECT "q""x"1, $1, date '2020-01-01' FROM t WHERE a >= 5 AND b <> 'z'`,
      "SELECT 1",
    ];
    const extras = ["", " ", ";", "1", "'", "a", "--", "/*", ".", "e5", "$", '"', " OR 1=1", "''"];
    let matched = 0;
    for (let run = 0; run < 20_000; run++) {
      const base = bases[rand(bases.length)] as string;
      const offsets: number[] = [];
      const baseKey = literalShapeKey(base, offsets);
      const template = ShapeTemplate.of(base, offsets) as ShapeTemplate;
      // Each literal of the base replaced by another (or kept), then maybe one piece inserted or replaced anywhere.
      let text = "";
      let pos = 0;
      for (const start of offsets) {
        let end = start + 1;
        if (base[start] === "'") {
          while (!(base[end] === "'" && base[end + 1] !== "'")) end += base[end] === "'" ? 2 : 1;
          end++;
        } else while (end < base.length && /[0-9.eE]/.test(base[end] as string)) end++;
        text += base.slice(pos, start) + (rand(3) === 0 ? base.slice(start, end) : (literals[rand(literals.length)] as string));
        pos = end;
      }
      text += base.slice(pos);
      if (rand(4) === 0) {
        const at = rand(text.length + 1);
        text = text.slice(0, at) + (extras[rand(extras.length)] as string) + text.slice(at + rand(2));
      }
      const same = baseKey !== null && literalShapeKey(text) === baseKey;
      if (template.matches(text) !== same) {
        throw new Error(`template of ${JSON.stringify(base)} on ${JSON.stringify(text)}: matches ${!same}, keys ${same ? "equal" : "differ"}`);
      }
      if (same) matched++;
    }
    // The mutations must also produce matches, or the check above proves little.
    expect(matched).toBeGreaterThan(2_000);
  });
});
