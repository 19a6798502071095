import { beforeAll, describe, expect, it } from "vitest";
import { literalShapeKey } from "./literal-key";
import { RecentShape } from "./recent-shape";
import { loadSqlAnalyzer } from "./sql-analyzer";
import type { SqlAnalyzer } from "./types";

// The analyzer shares one analysis between texts that differ only in literal values. Whatever it serves from
// that cache must equal what a fresh parse of the very text gives: these analyses drive routing and access.

let direct: SqlAnalyzer;
beforeAll(async () => {
  direct = await loadSqlAnalyzer({ cacheEntries: 0 });
});

describe("the cache by literal shape", () => {
  it("answers texts that differ only in literals with one analysis", async () => {
    const a = await loadSqlAnalyzer();
    const first = a.analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 12345;");
    expect(a.analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 678;")).toBe(first);
    expect(a.analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 9;")).toBe(first);
    expect(a.cacheSize).toBe(1);
    expect(first).toMatchObject({ kind: "select", readOnly: true, tables: [{ name: "pgbench_accounts" }] });
  });

  it("stores a text by its exact text too once it repeats, and one-off literals never", async () => {
    const a = await loadSqlAnalyzer();
    const first = a.analyze("SELECT * FROM orders ORDER BY id LIMIT 50");
    expect(a.cacheSize).toBe(1);
    for (let i = 0; i < 3; i++) expect(a.analyze(`SELECT * FROM orders ORDER BY id LIMIT ${i + 60}`)).toBe(first);
    expect(a.cacheSize).toBe(1);
    expect(a.analyze("SELECT * FROM orders ORDER BY id LIMIT 70")).toBe(first);
    expect(a.analyze("SELECT * FROM orders ORDER BY id LIMIT 70")).toBe(first); // seen twice in a row
    expect(a.cacheSize).toBe(2);
    expect(a.analyze("SELECT * FROM orders ORDER BY id LIMIT 70")).toBe(first);
    expect(a.cacheSize).toBe(2);
  });

  it("stores a repeating text by exact text even when one-off literals of its shape come in between", async () => {
    const a = await loadSqlAnalyzer();
    const first = a.analyze("SELECT * FROM orders WHERE status = 'paid' LIMIT 50");
    expect(a.cacheSize).toBe(1);
    // `LIMIT 50` from one code path, other limits from another, in turn.
    expect(a.analyze("SELECT * FROM orders WHERE status = 'paid' LIMIT 7")).toBe(first);
    expect(a.cacheSize).toBe(1);
    expect(a.analyze("SELECT * FROM orders WHERE status = 'paid' LIMIT 50")).toBe(first); // among the last two
    expect(a.cacheSize).toBe(2);
    expect(a.analyze("SELECT * FROM orders WHERE status = 'paid' LIMIT 8")).toBe(first);
    expect(a.analyze("SELECT * FROM orders WHERE status = 'paid' LIMIT 9")).toBe(first);
    expect(a.analyze("SELECT * FROM orders WHERE status = 'paid' LIMIT 8")).toBe(first); // 8 again, 9 in between
    expect(a.cacheSize).toBe(3);
    // One-off values in between never reach the exact-text cache.
    for (let i = 0; i < 5; i++) a.analyze(`SELECT * FROM orders WHERE status = 'paid' LIMIT ${100 + i}`);
    expect(a.cacheSize).toBe(3);
  });

  // Same key, different analyses: the literal is not a plain constant in the tree, so nothing is shared.
  const literalMatters: [why: string, texts: string[]][] = [
    ["EXPLAIN's ANALYZE option", ["EXPLAIN (ANALYZE 0) DELETE FROM t", "EXPLAIN (ANALYZE 1) DELETE FROM t"]],
    ["EXPLAIN's ANALYZE option as a string", ["EXPLAIN (ANALYZE 'off') DELETE FROM t", "EXPLAIN (ANALYZE 'on') DELETE FROM t"]],
    ["a float precision checked by the grammar", ["SELECT CAST(x AS float(10)) FROM t", "SELECT CAST(x AS float(0)) FROM t"]],
    ["syntax errors quoting the literal", ["SELECT 1 2", "SELECT 1 3"]],
    ["a count", ["FETCH 5 FROM c", "FETCH 7 FROM c"]],
  ];

  it.each(literalMatters)("does not share by shape when the literal matters: %s", async (_why, texts) => {
    const a = await loadSqlAnalyzer();
    for (const round of [1, 2]) {
      for (const sql of texts) expect(a.analyze(sql), `${sql} (round ${round})`).toEqual(direct.analyze(sql));
    }
  });

  it("tells EXPLAIN ANALYZE 1 from EXPLAIN ANALYZE 0 whichever comes first", async () => {
    for (const order of [
      ["EXPLAIN (ANALYZE 0) DELETE FROM t", "EXPLAIN (ANALYZE 1) DELETE FROM t"],
      ["EXPLAIN (ANALYZE 1) DELETE FROM t", "EXPLAIN (ANALYZE 0) DELETE FROM t"],
    ]) {
      const a = await loadSqlAnalyzer();
      expect(literalShapeKey(order[0]!)).toBe(literalShapeKey(order[1]!));
      const readOnly = order.map((sql) => a.analyze(sql).readOnly);
      expect(readOnly).toEqual(order.map((sql) => sql.includes("ANALYZE 0")));
    }
  });

  it("still shares when literals sit in type modifiers", async () => {
    const a = await loadSqlAnalyzer();
    const typmod = a.analyze("SELECT x::varchar(10) FROM t");
    expect(a.analyze("SELECT x::varchar(20) FROM t")).toBe(typmod);
  });

  it("never shares SET values or set_config arguments: the access decision reads them", async () => {
    const a = await loadSqlAnalyzer();
    const set = a.analyze("SET search_path = 'a'");
    const other = a.analyze("SET search_path = 'b'");
    expect(other).not.toBe(set);
    expect(set.setsSessionState).toBe(true);
    expect(set.parts[0]?.settings).toEqual([{ kind: "search_path", schemas: ["a"], local: false }]);
    expect(other.parts[0]?.settings).toEqual([{ kind: "search_path", schemas: ["b"], local: false }]);
    // As PostgreSQL reads them: each SET argument is one schema, verbatim; set_config's text is a list.
    expect(a.analyze("SET search_path = 'audit, public', \"Sales\"").parts[0]?.settings).toEqual([{ kind: "search_path", schemas: ["audit, public", "Sales"], local: false }]);
    expect(a.analyze("SELECT set_config('search_path', 'Audit, \"Sales\"', true)").parts[0]?.settings).toEqual([{ kind: "search_path", schemas: ["audit", "Sales"], local: true }]);
    const f1 = a.analyze("SELECT set_config('search_path', 'audit', false)");
    const f2 = a.analyze("SELECT set_config('search_path', 'public', false)");
    expect(f2.parts[0]?.settings).toEqual([{ kind: "search_path", schemas: ["public"], local: false }]);
    expect(f1.parts[0]?.settings).toEqual([{ kind: "search_path", schemas: ["audit"], local: false }]);
  });
});

// ---- property: random statements, analyzed through the shared caches in random order, equal a direct parse

/** Deterministic PRNG (mulberry32), so that a failure names a seed that reproduces it. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T,>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

function integer(rng: Rng): string {
  return pick(rng, [
    () => String(Math.floor(rng() * 10)),
    () => String(Math.floor(rng() * 1_000_000)),
    () => pick(rng, ["0", "1", "2147483647", "2147483648", "0002147483647", "9999999999999999999999"]),
  ])();
}

function literal(rng: Rng): string {
  return pick(rng, [
    integer,
    integer,
    () => `${Math.floor(rng() * 1000)}.${Math.floor(rng() * 100)}`,
    () => `${Math.floor(rng() * 10)}e${pick(rng, ["", "+", "-"])}${Math.floor(rng() * 20)}`,
    () => `'${pick(rng, ["", "a", "it''s", "x y", "; DROP TABLE t; --", "$$", '"q"', "/* c */", "1", "on", "off", "2020-01-01"])}'`,
  ])(rng);
}

// `#` is a literal; each template is instantiated several times with fresh literals.
const TEMPLATES = [
  "SELECT abalance FROM pgbench_accounts WHERE aid = #;",
  "SELECT #, # FROM t WHERE a IN (#, #) LIMIT # OFFSET #",
  "SELECT * FROM t WHERE x = -#",
  "SELECT * FROM t WHERE x = - #",
  "SELECT #::varchar(#), CAST(# AS char(#)) FROM t",
  "SELECT CAST(x AS float(#)) FROM t",
  "SELECT CAST(x AS numeric(#, #)) FROM t",
  "EXPLAIN (ANALYZE #) DELETE FROM t WHERE id = #",
  "EXPLAIN (ANALYZE #, COSTS #) SELECT * FROM t FOR UPDATE",
  "FETCH # FROM c",
  "MOVE # IN c",
  "SET search_path = #",
  "SET LOCAL statement_timeout = #",
  "SET TIME ZONE #",
  "INSERT INTO t (a, b) VALUES (#, #) RETURNING id",
  "UPDATE s.t SET a = # WHERE b = # AND c <> #",
  "DELETE FROM t WHERE a = #; SELECT # FROM u",
  "SELECT #\n#",
  "SELECT # #",
  "SELECT * FROM t WHERE d = date # AND i < interval # day",
  "DECLARE c CURSOR WITH HOLD FOR SELECT # FROM t",
  "CREATE TEMP TABLE tt AS SELECT # AS a",
  "CREATE TABLE n (a numeric(#, #) DEFAULT #, b varchar(#))",
  "COPY t TO STDOUT WITH (FORMAT #)",
  "PREPARE p AS SELECT # FROM t WHERE a = $1",
  "WITH x AS (SELECT # AS v) SELECT * FROM x, y WHERE y.v = #",
  "SELECT pg_advisory_lock(#), set_config('a', #, false)",
  "VACUUM (PARALLEL #) t",
  "SELECT # FROM t TABLESAMPLE SYSTEM (#) REPEATABLE (#)",
  "ALTER TABLE t ALTER COLUMN a SET STATISTICS #",
  "SELECT 1 FROM t FETCH FIRST # ROWS ONLY",
  "SELECT * FROM t LIMIT #, #",
  "SELECT * FROM t ORDER BY # DESC",
  "NOTIFY ch, #",
  "DO #",
  "COMMENT ON TABLE t IS #",
  "CREATE SEQUENCE sq START # INCREMENT #",
  "SELECT x FROM t WHERE y = E#",
  "SELECT x FROM t WHERE y = U&#",
  "SELECT # -- trailing #\nFROM t",
  "SELECT ARRAY[#, #][#] FROM t",
  "SELECT * FROM t WHERE a BETWEEN # AND # OR b NOT IN (#)",
  "LOCK TABLE t IN ACCESS SHARE MODE; SELECT #",
  "SELECT # FROM t FOR UPDATE OF t NOWAIT",
  "SAVEPOINT sp; RELEASE sp; SELECT #",
  "BEGIN; SELECT #; COMMIT",
  "SET SESSION AUTHORIZATION #",
  "SET TRANSACTION SNAPSHOT #",
  "SELECT * FROM t WHERE a = # AND b = $1 AND c = $2::text",
];

function instantiate(rng: Rng, template: string): string {
  return template.replace(/#/g, () => literal(rng));
}

describe("analyses served by literal shape equal a direct parse", () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`over random statements (seed ${seed})`, async () => {
      const rng = prng(seed);
      // Small caches, so that eviction and re-insertion happen too.
      const a = await loadSqlAnalyzer({ cacheEntries: 16 });
      let sharedHits = 0;
      const firstByKey = new Map<string, object>();
      for (let i = 0; i < 1500; i++) {
        const sql = instantiate(rng, pick(rng, TEMPLATES));
        const got = a.analyze(sql);
        expect(got, sql).toEqual(direct.analyze(sql));
        const key = literalShapeKey(sql);
        if (key === null) continue;
        if (firstByKey.get(key) === got) sharedHits++;
        else firstByKey.set(key, got);
      }
      // The property must have been exercised: many texts were answered from another text's analysis.
      expect(sharedHits).toBeGreaterThan(100);
    });
  }
});

describe("analyses served by a caller's recent literal shape equal a direct parse", () => {
  // Runs of one statement with fresh literals, as pgbench or a busy endpoint sends them, interleaved with a few
  // others: after the first text of a run, the analyzer answers from the caller's recent shape.
  for (const seed of [5, 6]) {
    it(`over runs of random statements (seed ${seed})`, async () => {
      const rng = prng(seed);
      const a = await loadSqlAnalyzer({ cacheEntries: 16 });
      const sessions = [new RecentShape(), new RecentShape()];
      for (let run = 0; run < 150; run++) {
        const templates = [pick(rng, TEMPLATES), pick(rng, TEMPLATES), pick(rng, TEMPLATES)];
        for (let i = 0; i < 12; i++) {
          const sql = instantiate(rng, pick(rng, templates.slice(0, i % 4 === 0 ? 3 : 1)));
          expect(a.analyze(sql, pick(rng, sessions)), sql).toEqual(direct.analyze(sql));
        }
      }
    });
  }

  it("answers a session's recent shape, and a statement of another shape on its own", async () => {
    const a = await loadSqlAnalyzer();
    const recent = new RecentShape();
    const first = a.analyze("SELECT * FROM t0 WHERE id = 1", recent);
    expect(recent.template?.matches("SELECT * FROM t0 WHERE id = 2")).toBe(true);
    expect(a.analyze("SELECT * FROM t0 WHERE id = 2", recent)).toBe(first);
    const del = a.analyze("DELETE FROM t0 WHERE id = 2", recent);
    expect(del).not.toBe(first);
    expect(del).toMatchObject({ kind: "delete", readOnly: false });
    expect(recent.template?.matches("SELECT * FROM t0 WHERE id = 2")).toBe(false);
    expect(a.analyze("SELECT * FROM t0 WHERE id = 3", recent)).toBe(first);
    // A text stored by exact text (its literal is not a plain constant) never becomes a recent shape.
    const other = new RecentShape();
    a.analyze("EXPLAIN (ANALYZE 0) DELETE FROM t", other);
    expect(other.template).toBeNull();
    expect(a.analyze("EXPLAIN (ANALYZE 1) DELETE FROM t", other)).toEqual(direct.analyze("EXPLAIN (ANALYZE 1) DELETE FROM t"));
  });
});
