import type pg from "pg";

/** The table dbmesh keeps on every target; never part of the described (user) schema. */
export const HISTORY_TABLE = "dbmesh_schema_history";

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp_%'`;

/**
 * A normalized, sorted, line-per-fact description of a database's user schema, read from the
 * catalog: schemas, tables with columns, constraints and indexes, views, sequences, enum types and
 * functions. It runs on whatever connection it is given — inside the dry run's transaction it sees
 * the uncommitted DDL — so a before/after diff and drift detection use the same text. Names of
 * system-generated objects are kept: a renamed constraint is a real change.
 */
export async function describeSchema(client: pg.ClientBase): Promise<string> {
  // One after the other (each `await` in the literal runs in turn): a pg client runs one query at a time.
  const [schemas, columns, constraints, indexes, views, sequences, enums, functions] = [
    await client.query<{ name: string }>(`SELECT n.nspname AS name FROM pg_namespace n WHERE ${USER_SCHEMAS} AND n.nspname <> 'public'`),
    await client.query<{ rel: string; kind: string; col: string; type: string; notnull: boolean; def: string | null; identity: string; generated: string }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS rel, c.relkind::text AS kind, quote_ident(a.attname) AS col,
              format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def,
              a.attidentity::text AS identity, a.attgenerated::text AS generated
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMAS} AND c.relname <> '${HISTORY_TABLE}'
        ORDER BY 1, a.attnum`,
    ),
    await client.query<{ rel: string; name: string; def: string }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS rel, quote_ident(k.conname) AS name, pg_get_constraintdef(k.oid) AS def
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE ${USER_SCHEMAS} AND c.relname <> '${HISTORY_TABLE}'`,
    ),
    await client.query<{ rel: string; name: string; def: string; valid: boolean }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(t.relname) AS rel, quote_ident(i.relname) AS name, pg_get_indexdef(x.indexrelid) AS def, x.indisvalid AS valid
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE ${USER_SCHEMAS} AND t.relname <> '${HISTORY_TABLE}'`,
    ),
    await client.query<{ name: string; kind: string; def: string }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, c.relkind::text AS kind, pg_get_viewdef(c.oid) AS def
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND ${USER_SCHEMAS}`,
    ),
    await client.query<{ name: string; type: string; owned: string | null }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, format_type(s.seqtypid, NULL) AS type,
              (SELECT quote_ident(dn.nspname) || '.' || quote_ident(dc.relname) FROM pg_depend dp JOIN pg_class dc ON dc.oid = dp.refobjid
                 JOIN pg_namespace dn ON dn.oid = dc.relnamespace WHERE dp.objid = c.oid AND dp.deptype IN ('a', 'i') LIMIT 1) AS owned
         FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE ${USER_SCHEMAS} AND c.relname NOT LIKE '${HISTORY_TABLE}%'`,
    ),
    await client.query<{ name: string; labels: string[] }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
        WHERE ${USER_SCHEMAS} GROUP BY 1`,
    ),
    await client.query<{ name: string; args: string; result: string }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname) AS name, pg_get_function_identity_arguments(p.oid) AS args,
              pg_get_function_result(p.oid) AS result
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
        WHERE ${USER_SCHEMAS} AND d.objid IS NULL`,
    ),
  ] as const;

  const lines: string[] = [];
  for (const s of schemas.rows) lines.push(`schema ${s.name}`);
  const tables = new Map<string, string[]>();
  const add = (rel: string, line: string) => {
    const list = tables.get(rel) ?? [];
    list.push(line);
    tables.set(rel, list);
  };
  for (const c of columns.rows) {
    tables.set(c.rel, tables.get(c.rel) ?? [`${c.kind === "p" ? "partitioned table" : "table"} ${c.rel}`]);
    const extras = [
      c.notnull ? "not null" : "",
      c.identity === "a" ? "generated always as identity" : c.identity === "d" ? "generated by default as identity" : "",
      c.generated === "s" && c.def ? `generated always as (${c.def}) stored` : c.def ? `default ${c.def}` : "",
    ].filter(Boolean);
    add(c.rel, `  column ${c.col} ${c.type}${extras.length ? " " + extras.join(" ") : ""}`);
  }
  const tableExtras: [string, string][] = [];
  for (const k of constraints.rows) tableExtras.push([k.rel, `  constraint ${k.name} ${k.def}`]);
  for (const i of indexes.rows) tableExtras.push([i.rel, `  index ${i.name}${i.valid ? "" : " INVALID"} ${i.def}`]);
  tableExtras.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  for (const [rel, line] of tableExtras) if (tables.has(rel)) add(rel, line);
  for (const rel of [...tables.keys()].sort()) lines.push(...tables.get(rel)!);
  for (const v of views.rows.sort(byName)) lines.push(`${v.kind === "m" ? "materialized view" : "view"} ${v.name} AS ${v.def.replace(/\s+/g, " ").trim()}`);
  for (const s of sequences.rows.sort(byName)) lines.push(`sequence ${s.name} ${s.type}${s.owned ? ` owned by ${s.owned}` : ""}`);
  for (const e of enums.rows.sort(byName)) lines.push(`enum ${e.name} (${e.labels.map((l) => `'${l}'`).join(", ")})`);
  for (const f of functions.rows.sort(byName)) lines.push(`function ${f.name}(${f.args}) returns ${f.result}`);
  return lines.join("\n") + (lines.length ? "\n" : "");
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
