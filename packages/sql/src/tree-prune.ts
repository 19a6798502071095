// What the analyzer never looks at, cut out of libpg-query's JSON before JSON.parse builds it. JSON.parse is
// as costly as PostgreSQL's parse itself (~50 µs each for a 600-character SELECT of 40 columns and 40
// parameters on the dev box), and column references and parameters are most of a typical tree: a native
// regex pass that replaces them with `0` costs a tenth of what it saves (7.4 KB → 2 KB of JSON there).
//
// ColumnRef and ParamRef go, and a ResTarget or an A_Expr holding no more than those. Neither names a table, a function or a setting: a ColumnRef holds only
// String names and A_Star, a ParamRef only its number, and the walk (analyze-tree.ts) finds tables,
// functions, CTEs, locking and INTO by other nodes, reading a constant only from A_Const (which stays, with
// its location, for the literal-shape check). A `0` where a node was is skipped by the walk like any scalar,
// and reads as "not a constant" where a constant is looked for, as a column reference did.
//
// The native parser does the same in C (native/prune_inert_nodes.c), before the JSON becomes a string; this
// regex serves the WASM build. native-parser.test.ts and native-harnesses.test.ts hold the two to the same output.
//
// The regex matches libpg-query's own output only (fixed field order, no whitespace). A pattern cannot start
// inside a string value: a `"` there is always escaped. Whatever it does not match stays as it was.

const STRING = String.raw`"(?:[^"\\]|\\.)*"`;
const FIELD = String.raw`(?:\{"String":\{"sval":${STRING}\}\}|\{"A_Star":\{\}\})`;
const COLUMN_REF = String.raw`\{"ColumnRef":\{"fields":\[${FIELD}(?:,${FIELD})*\](?:,"location":\d+)?\}\}`;
const PARAM_REF = String.raw`\{"ParamRef":\{(?:"number":\d+)?(?:,?"location":\d+)?\}\}`;
// A select-list, SET or INSERT column entry that holds nothing but a name and a column reference or parameter
// (`t.col`, `col AS x`, `SET a = $1`, `INSERT INTO t (a, b)`): inert as a whole. One with indirection
// (`SET a[1] = …`) or any other value stays.
const RES_TARGET = String.raw`\{"ResTarget":\{(?:"name":${STRING})?(?:,?"val":(?:${COLUMN_REF}|${PARAM_REF}))?(?:,?"location":\d+)?\}\}`;
// An operator between two of them (`o.id = i.order_id`, `created_at > $1`): the analysis does not look at
// operators, and a constant operand (`id = 5`) keeps the whole expression, whose A_Const the literal-shape
// check needs.
const OPERAND = `(?:${COLUMN_REF}|${PARAM_REF})`;
const A_EXPR = String.raw`\{"A_Expr":\{"kind":"[A-Z_]+","name":\[\{"String":\{"sval":${STRING}\}\}(?:,\{"String":\{"sval":${STRING}\}\})*\](?:,"lexpr":${OPERAND})?(?:,"rexpr":${OPERAND})?(?:,"location":\d+)?\}\}`;
const INERT = new RegExp(`${RES_TARGET}|${A_EXPR}|${COLUMN_REF}|${PARAM_REF}`, "g");

/**
 * libpg-query's JSON with every ColumnRef and ParamRef node, and every ResTarget or A_Expr holding nothing but
 * those, replaced by `0`.
 */
export function pruneInertNodes(json: string): string {
  return json.replace(INERT, "0");
}
