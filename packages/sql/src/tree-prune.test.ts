import { beforeAll, describe, expect, it } from "vitest";
import { analyzeTree } from "./analyze-tree";
import { type ParseTree, PgParser } from "./pg-parser";

let parser: PgParser;
beforeAll(async () => {
  parser = await PgParser.load();
});

const isRef = (v: unknown) =>
  typeof v === "object" && v !== null && Object.keys(v).length === 1 && ("ColumnRef" in v || "ParamRef" in v);
const isNameList = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === "object" && n !== null && Object.keys(n).join() === "String");

/** Whether a node (`{ Type: body }`) holds nothing but a name and column references or parameters. */
function inert(node: Record<string, unknown>): boolean {
  const [type, ...more] = Object.keys(node);
  if (more.length > 0) return false;
  if (type === "ColumnRef" || type === "ParamRef") return true;
  const body = node[type!] as Record<string, unknown>;
  if (type === "ResTarget") return Object.keys(body).every((k) => k === "name" || k === "location" || (k === "val" && isRef(body.val)));
  if (type === "A_Expr") {
    return Object.keys(body).every(
      (k) => k === "kind" || k === "location" || (k === "name" && isNameList(body.name)) || ((k === "lexpr" || k === "rexpr") && isRef(body[k])),
    );
  }
  return false;
}

/** The whole tree with each inert node (see tree-prune.ts) replaced by 0, done on objects: what the regex must give. */
function withoutInertNodes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutInertNodes);
  if (typeof value !== "object" || value === null) return value;
  if (inert(value as Record<string, unknown>)) return 0;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutInertNodes(v)]));
}

function trees(sql: string): { whole: ParseTree; pruned: ParseTree } {
  const whole = parser.parse(sql);
  const pruned = parser.parse(sql, true);
  if (!whole.ok || !pruned.ok) throw new Error(`does not parse: ${sql}`);
  return { whole: whole.tree, pruned: pruned.tree };
}

// Column references and parameters everywhere they may stand, and names and strings that look like the JSON
// the regex looks for.
const STATEMENTS = [
  "SELECT a, t.b, s.t.c, t.*, * FROM s.t WHERE a = $1 AND b IN ($2, $3)",
  `SELECT "we""ird}{", "ColumnRef", '{"ColumnRef":{"fields":[]}}' FROM "a""b" WHERE "x\\" = 'y\\'`,
  `SELECT "{""ParamRef"":{}}\\", $1::int, ($2).f, $3[1] FROM t`,
  "SELECT set_config(name, $1, false), set_config('search_path', col, true) FROM settings",
  "SELECT set_config('search_path', 'audit, public', false)",
  "WITH w AS (DELETE FROM q WHERE id = $1 RETURNING *) INSERT INTO done SELECT w.* FROM w",
  "UPDATE t SET a = b + $1 FROM u WHERE u.id = t.id RETURNING t.a, u.*",
  "MERGE INTO s USING i ON s.k = i.k WHEN MATCHED THEN UPDATE SET q = s.q + i.q WHEN NOT MATCHED THEN INSERT (k, q) VALUES (i.k, i.q)",
  "SELECT (SELECT max(x) FROM m WHERE m.y = t.y), f(t.z, $1) FROM t ORDER BY t.z, 1 FOR UPDATE OF t",
  "SELECT id INTO TEMP recent FROM orders WHERE created_at > now() - interval '1 hour'",
  "EXPLAIN (ANALYZE, FORMAT json) SELECT * FROM orders WHERE customer_id = $1",
  "CREATE INDEX ON t (lower(name), (a + b)) WHERE deleted_at IS NULL",
  "CREATE VIEW v AS SELECT a, b FROM t WHERE c > 0",
  "COPY (SELECT a FROM t WHERE b = 1) TO STDOUT",
  "CALL proc(a => 1, b => $1)",
  "SELECT a + b AS s, (a + b) * c, a OPERATOR(pg_catalog.+) $1, x = ANY($2), y IS NULL, NOT z, -w FROM t WHERE a = 5 AND b <> c OR d > $3",
  "SELECT * FROM a JOIN b ON a.id = b.a_id AND b.k = 'x' WHERE a.v BETWEEN $1 AND $2 AND a.n LIKE b.m",
  "INSERT INTO t (a, b, \"C\") VALUES ($1, 2, c) ON CONFLICT (a) DO UPDATE SET b = excluded.b, c = $3, d[1] = $4, e = 5",
  "SELECT a AS x, b y, $1 AS \"z\", a + 1 AS s, f(a), (SELECT 1) FROM t",
  "UPDATE t SET a = $1 WHERE id = 2 RETURNING a AS x, b, $2 AS \"z\", now()",
  "PREPARE p(int) AS SELECT * FROM t WHERE id = $1; EXECUTE p(1)",
  "SELECT 'żółw 🐢', \"tabelę\".\"kolumnę\" FROM \"tabelę\"",
  `SELECT ${Array.from({ length: 40 }, (_, i) => `t.col_${i}`).join(", ")} FROM wide_table t WHERE t.col_0 IN (${Array.from({ length: 40 }, (_, i) => `$${i + 1}`).join(", ")})`,
];

describe("pruneInertNodes", () => {
  it.each(STATEMENTS)("removes exactly the ColumnRef and ParamRef nodes: %s", (sql) => {
    const { whole, pruned } = trees(sql);
    expect(pruned).toEqual(withoutInertNodes(whole));
  });

  it.each(STATEMENTS)("leaves the analysis as it was: %s", (sql) => {
    const { whole, pruned } = trees(sql);
    expect(analyzeTree(pruned)).toEqual(analyzeTree(whole));
  });

  it("shrinks a column-heavy tree to a fraction", () => {
    const { whole, pruned } = trees(STATEMENTS.at(-1)!);
    expect(JSON.stringify(pruned).length).toBeLessThan(JSON.stringify(whole).length / 3);
  });
});
