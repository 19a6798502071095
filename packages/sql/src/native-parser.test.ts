import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { loadNativeParser, NATIVE_MAX_CHARS, requestedParserBackend } from "./native-parser";
import { type ParseOutcome, PgParser } from "./pg-parser";
import { pruneInertNodes } from "./tree-prune";

const require = createRequire(import.meta.url);
const requested = requestedParserBackend();

// The statements both parsers must read alike: every kind the analyzer tells apart, the bypass shapes, text
// the lexer treats specially, and errors (whose messages reach clients).
const CORPUS = [
  "SELECT 1",
  "select * from public.orders where id = 42 for update",
  `SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.created_at > $1 ORDER BY 1 DESC LIMIT 50`,
  "INSERT INTO orders (customer_id, total, note) VALUES ($1, $2, 'rush') RETURNING id",
  "UPDATE orders SET status = 'shipped', shipped_at = now() WHERE id = $1 AND status = 'paid'",
  "DELETE FROM sessions WHERE expires_at < now() - interval '1 day'",
  "WITH moved AS (DELETE FROM queue WHERE id IN (SELECT id FROM queue ORDER BY id LIMIT 10) RETURNING *) INSERT INTO done SELECT * FROM moved",
  "MERGE INTO stock s USING incoming i ON s.sku = i.sku WHEN MATCHED THEN UPDATE SET qty = s.qty + i.qty WHEN NOT MATCHED THEN INSERT (sku, qty) VALUES (i.sku, i.qty)",
  "CREATE TABLE audit_copy AS SELECT * FROM audit WHERE created_at > now() - interval '7 days'",
  "SELECT id INTO TEMP recent FROM orders",
  "ALTER TABLE orders ADD COLUMN discount numeric(10,2) NOT NULL DEFAULT 0",
  "CREATE INDEX CONCURRENTLY orders_created_idx ON orders (created_at)",
  "DROP TABLE IF EXISTS tmp_import CASCADE",
  "TRUNCATE staging.events RESTART IDENTITY",
  "BEGIN; UPDATE accounts SET balance = balance - 10 WHERE id = 1; COMMIT",
  "SET search_path TO app, public",
  "SET LOCAL ROLE admin; RESET ALL",
  "SELECT pg_read_file('/etc/passwd'), dblink('x', 'y')",
  "DO $$ BEGIN PERFORM pg_sleep(1); END $$",
  "DO $body$ DECLARE r record; BEGIN EXECUTE 'DROP TABLE ' || quote_ident('t'); END $body$ LANGUAGE plpgsql",
  "COPY orders TO STDOUT WITH (FORMAT csv)",
  "COPY (SELECT * FROM secrets) TO '/tmp/x'",
  "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM orders WHERE customer_id = 7",
  `/* app=checkout */ SELECT "Order".id FROM "Sales"."Order" WHERE "Order"."Total" > 10 -- trailing`,
  `SELECT 'żółw 🐢', E'\\x41\\n', U&'\\0041', $tag$ it's $tag$ FROM "tabelę"`,
  "SELECT * FROM t1 UNION ALL SELECT * FROM t2 INTERSECT SELECT * FROM t3",
  "SELECT count(*) FILTER (WHERE x > 0) OVER (PARTITION BY y ORDER BY z ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM w",
  "PREPARE q(int) AS SELECT * FROM t WHERE id = $1; EXECUTE q(1); DEALLOCATE q",
  "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader",
  "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a + 1 $$",
  "VACUUM (ANALYZE) orders; REINDEX TABLE orders; CLUSTER orders",
  "LISTEN jobs; NOTIFY jobs, 'payload'; UNLISTEN *",
  "SELECT 1.5e10, -42, 0x1F, 1_000_000, B'1010', X'FF', true, NULL, ARRAY[1,2][1], '{\"a\":1}'::jsonb -> 'a'",
  `SELECT ${Array.from({ length: 40 }, (_, i) => `t.col_${i}`).join(", ")} FROM wide_table t WHERE t.col_0 IN (${Array.from({ length: 40 }, (_, i) => `$${i + 1}`).join(", ")})`,
  // (Blank text never reaches a parser: the analyzer answers it as PostgreSQL does, with EmptyQueryResponse.)
  ";;",
  "SELECT FROM WHERE",
  "SELECT 'unterminated",
  'SELECT "unterminated',
  "SELECT $$ unterminated",
  "SELEC 1",
  "SELECT 1 +",
  "INSERT INTO t VALUES (1",
  "CREATE TABLE ( )",
  // The native build formats the JSON's numbers and characters itself (fast_append_string_info.c): negative and
  // large numbers, one-character fields, and control characters, which still take PostgreSQL's %04x.
  "SELECT -2147483648, 2147483647, -9223372036854775808, 4294967295, x[-1], 1e-300 FROM ONLY t* WHERE a <> -0",
  "CREATE UNLOGGED TABLE u (a int) PARTITION BY RANGE (a); CREATE TEMP VIEW v AS SELECT 1; ALTER TABLE t ALTER a SET STATISTICS -1",
  "SELECT E'\\x01\\x1f\\t\\n', '\u0007 bell', U&'\\0000 nul?' AS \"weird \\\" name\"",
  "SELECT '%d %s %f %04x %%' AS \"%s\", $1 LIKE '100\\%' ESCAPE '\\'",
];

/** The outcome as a client could observe it; the tree's version stamp is the PostgreSQL minor release. */
function comparable(outcome: ParseOutcome): unknown {
  return outcome.ok ? { ok: true, stmts: outcome.tree.stmts } : outcome;
}

describe("the native parser", () => {
  // A machine that can build it must: otherwise every figure bench:sql prints is the fallback's.
  it.skipIf(requested === "wasm" || process.platform !== "linux" || process.arch !== "x64")(
    "is built on Linux x64 (skipped elsewhere: libpg_query ships prebuilt for Linux x64 only)",
    async () => {
      expect(loadNativeParser().reason).toBe("");
      expect((await PgParser.load()).backend).toBe("native");
    },
  );

  describe("against the WASM build", () => {
    let native: PgParser;
    let wasm: PgParser;
    beforeAll(async () => {
      // DBMESH_SQL_PARSER=wasm runs the rest of this package's tests without the addon; this comparison needs it.
      if (loadNativeParser().addon === null) return;
      native = await PgParser.load({ backend: "native" });
      wasm = await PgParser.load({ backend: "wasm" });
    });

    it.skipIf(loadNativeParser().addon === null)("gives the same trees and the same errors, pruned or whole", () => {
      expect(native.backend).toBe("native");
      expect(wasm.backend).toBe("wasm");
      for (const sql of CORPUS) {
        for (const prune of [false, true]) {
          const fromNative = comparable(native.parse(sql, prune));
          expect({ sql, prune, outcome: fromNative }).toEqual({ sql, prune, outcome: comparable(wasm.parse(sql, prune)) });
        }
      }
    });

    it.skipIf(loadNativeParser().addon === null)("cuts out the inert nodes in C exactly as the regex does, byte for byte", () => {
      const addon = loadNativeParser().addon!;
      // Names and strings that spell the JSON the patterns look for, escapes at a string's end, and every
      // place a column reference or parameter stands.
      const tricky = [
        `SELECT "{""ColumnRef"":{""fields"":[]}}", '{"ParamRef":{}}', "a\\" FROM "}}" WHERE "x""" = 'y\\'`,
        `SELECT t."ResTarget", "A_Expr".b AS "name", $1 AS "val", a = b AS "location" FROM "A_Expr"`,
        "SELECT a.*, b.c.d, $12::int, -$1, a IS DISTINCT FROM b, a NOT LIKE $2, a = ANY($3), x[1], (y).z FROM t",
        "UPDATE t SET a = $1, b = c, d[2] = e, (f, g) = ($2, h) WHERE i OPERATOR(s.=) j RETURNING *, k AS l",
      ];
      for (const sql of [...CORPUS, ...tricky]) {
        const whole = addon.parse(sql);
        if (typeof whole !== "string") continue;
        expect({ sql, pruned: addon.parse(sql, true) }).toEqual({ sql, pruned: pruneInertNodes(whole) });
      }
    });

    it.skipIf(loadNativeParser().addon === null)("reads text whose UTF-8 needs more bytes than it has characters, up to its limit", () => {
      // NATIVE_MAX_CHARS counts characters; 4-byte characters make the C text 4× as long.
      const emoji = "🐢".repeat((NATIVE_MAX_CHARS - 20) / 2);
      const sql = `SELECT '${emoji}'`;
      expect(sql.length).toBeLessThanOrEqual(NATIVE_MAX_CHARS);
      expect(comparable(native.parse(sql))).toEqual(comparable(wasm.parse(sql)));
    });
  });

  it.skipIf(loadNativeParser().addon === null)("agrees with the WASM build on 3,000 random statements, valid and broken", async () => {
    const native = await PgParser.load({ backend: "native" });
    const wasm = await PgParser.load({ backend: "wasm" });
    const addon = loadNativeParser().addon!;
    let seed = 20261207;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    // Names and literals carry what the JSON writer escapes or formats: quotes, backslashes, control and
    // multi-byte characters, negative and 64-bit numbers, percent signs.
    const NAMES = ["t", "users", "a1", '"Quoted ""x"""', '"żółw"', '"100%"', "public.orders", '"S"."T"'];
    const LITERALS = ["42", "-7", "3.14", "1e10", "2147483648", "-9223372036854775808", "'str'", "'it''s'", "E'\\n\\x01'", "'żółw 🐢'", "'%s %d'", "$$ body $$", "NULL", "true", "$1"];
    const expr = (depth: number): string => {
      if (depth > 3 || random() < 0.35) return random() < 0.5 ? pick(LITERALS) : pick(NAMES);
      const e = () => expr(depth + 1);
      return pick([
        () => `${e()} ${pick(["+", "-", "*", "=", "<>", "||", "AND", "OR", "->", "LIKE"])} ${e()}`,
        () => `(${e()})`,
        () => `${pick(["now", "count", "lower", "pg_read_file", "coalesce"])}(${e()}, ${e()})`,
        () => `CASE WHEN ${e()} THEN ${e()} ELSE ${e()} END`,
        () => `${e()}::${pick(["int", "text", "jsonb", "numeric(10,2)"])}`,
        () => `ARRAY[${e()}, ${e()}]`,
        () => `${e()} IN (${e()}, ${e()})`,
        () => `NOT ${e()}`,
        () => `(SELECT ${e()} FROM ${pick(NAMES)})`,
      ])();
    };
    const statement = (): string =>
      pick([
        () => `SELECT ${expr(0)}, ${expr(0)} FROM ${pick(NAMES)} x JOIN ${pick(NAMES)} y ON ${expr(0)} WHERE ${expr(0)} ORDER BY 1 LIMIT ${pick(["5", "-1", "$2"])}`,
        () => `INSERT INTO ${pick(NAMES)} (a, b) VALUES (${expr(0)}, ${expr(0)}) RETURNING *`,
        () => `UPDATE ${pick(NAMES)} SET a = ${expr(0)} WHERE ${expr(0)}`,
        () => `DELETE FROM ${pick(NAMES)} WHERE ${expr(0)}`,
        () => `WITH w AS (SELECT ${expr(0)} FROM ${pick(NAMES)}) SELECT * FROM w`,
        () => `COPY ${pick(NAMES)} TO STDOUT`,
        () => `SET search_path TO ${pick(NAMES)}, public`,
      ])();
    let parsed = 0;
    for (let i = 0; i < 3000; i++) {
      let sql = statement();
      // A third are broken: a token cut out, or a stray one put in.
      if (i % 3 === 1) sql = sql.slice(0, Math.floor(random() * sql.length)) + sql.slice(Math.floor(random() * sql.length));
      if (i % 3 === 2) sql = sql.replace(" ", ` ${pick(["(", ",", "'", '"', "$$", "FROM", "--", "/*", "\u0001"])} `);
      if (sql.trim() === "") continue;
      const fromNative = native.parse(sql, true);
      if (fromNative.ok) {
        parsed++;
        const whole = addon.parse(sql) as string;
        expect({ sql, pruned: addon.parse(sql, true) }).toEqual({ sql, pruned: pruneInertNodes(whole) });
      }
      expect({ sql, outcome: comparable(fromNative) }).toEqual({ sql, outcome: comparable(wasm.parse(sql, true)) });
    }
    // Both kinds compared (this seed: 1,121 parse).
    expect(parsed).toBeGreaterThan(500);
    expect(parsed).toBeLessThan(2900);
  });

  it("reads DBMESH_SQL_PARSER", () => {
    expect(requestedParserBackend({})).toBe("auto");
    expect(requestedParserBackend({ DBMESH_SQL_PARSER: " WASM " })).toBe("wasm");
    expect(requestedParserBackend({ DBMESH_SQL_PARSER: "native" })).toBe("native");
    expect(() => requestedParserBackend({ DBMESH_SQL_PARSER: "fast" })).toThrow(/native, wasm or auto/);
  });

  it.skipIf(loadNativeParser().addon === null)(
    "parses the deepest shapes we know at its length limit within 2 MB of stack (Node's main thread has 8)",
    () => {
      const addon = require.resolve("@dbmesh/sql/native-addon");
      const script = `
        const { parse } = require(${JSON.stringify(addon)});
        const L = ${NATIVE_MAX_CHARS};
        const fill = (unit, head = "SELECT 1", tail = "") => head + unit.repeat(Math.floor((L - head.length - tail.length) / unit.length)) + tail;
        const nest = (open, close, inner = "1", head = "SELECT ") => {
          const n = Math.floor((L - head.length - inner.length) / (open.length + close.length));
          return head + open.repeat(n) + inner + close.repeat(n);
        };
        const shapes = {
          plus: fill("+1"), cast: fill("::t"), concat: fill("||a"), json: fill("->'a'"), subscript: fill("[1]", "SELECT (a)"),
          not: fill("NOT ", "SELECT ", "true"), minus: fill("- ", "SELECT ", "1"),
          paren: nest("(", ")"), subquery: nest("(SELECT ", ")"), array: nest("ARRAY[", "]"), call: nest("f(", ")"),
          case: nest("CASE WHEN ", " THEN 1 END"), boolean: nest(" AND (b OR c", ")", "", "SELECT a"),
        };
        let parsed = 0;
        for (const [name, sql] of Object.entries(shapes)) {
          if (sql.length > L) throw new Error(name + " is longer than the limit");
          const out = parse(sql);
          if (typeof out === "string") parsed++;
        }
        console.log(JSON.stringify({ shapes: Object.keys(shapes).length, parsed }));
      `;
      // A crash here is a segfault (status null, signal SIGSEGV), not an exception.
      const child = spawnSync("bash", ["-c", 'ulimit -s 2048 && exec "$0" -e "$1"', process.execPath, script], { encoding: "utf8" });
      expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: "" });
      const { shapes, parsed } = JSON.parse(child.stdout) as { shapes: number; parsed: number };
      expect(shapes).toBe(13);
      // Most parse; a few hit PostgreSQL's own grammar limit ("memory exhausted"), which is an answer too.
      expect(parsed).toBeGreaterThanOrEqual(10);
    },
  );
});
