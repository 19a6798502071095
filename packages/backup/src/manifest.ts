// What a backup holds, captured at backup time from the same snapshot pg_dump reads: every table
// and its row count. A restore (or a verification) is checked against it.
import type pg from "pg";
import { z } from "zod";
import { quoteIdent } from "./pg-tools";

export const Manifest = z.object({
  capturedAt: z.string(),
  tables: z.array(z.object({ schema: z.string(), name: z.string(), rows: z.number().int() })),
});
export type Manifest = z.infer<typeof Manifest>;

/** Ordinary tables (leaf partitions included, partitioned parents not: their rows live in the leaves). */
export async function countTables(client: pg.Client): Promise<Manifest["tables"]> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
      ORDER BY 1, 2`,
  );
  const out: Manifest["tables"] = [];
  for (const t of rows) {
    const r = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ONLY ${quoteIdent(t.schema)}.${quoteIdent(t.name)}`);
    out.push({ schema: t.schema, name: t.name, rows: Number(r.rows[0]?.n ?? 0) });
  }
  return out;
}

export interface ManifestComparison {
  ok: boolean;
  tables: number;
  rows: number;
  problems: string[];
}

export function compareManifest(expected: Manifest, actual: Manifest["tables"]): ManifestComparison {
  const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;
  const got = new Map(actual.map((t) => [key(t), t.rows]));
  const want = new Map(expected.tables.map((t) => [key(t), t.rows]));
  const problems: string[] = [];
  for (const [k, rows] of want) {
    const n = got.get(k);
    if (n === undefined) problems.push(`table ${k} is missing`);
    else if (n !== rows) problems.push(`table ${k} has ${n} rows, the backup had ${rows}`);
  }
  for (const k of got.keys()) if (!want.has(k)) problems.push(`table ${k} is not in the backup`);
  return {
    ok: problems.length === 0,
    tables: actual.length,
    rows: actual.reduce((s, t) => s + t.rows, 0),
    problems,
  };
}
