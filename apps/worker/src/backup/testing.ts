// Helpers of the backup integration tests: real source databases on the local server, endpoint and
// plan rows, polling. Everything created here has a name starting "dbmesh_it_" so that a crashed
// run's leftovers are recognisable.
import { randomBytes } from "node:crypto";
import { encryptSecret } from "@dbmesh/api/secret-box";
import type { Db } from "@dbmesh/db";
import pg from "pg";

export const SERVER = process.env.TEST_DATABASE_SERVER_URL ?? "postgresql://postgres@127.0.0.1:5432";

export function urlOf(database: string): string {
  const u = new URL(SERVER);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(database: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: urlOf(database) });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

export function scratchName(what: string): string {
  return `dbmesh_it_${what}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
}

/** A database with several tables of different shapes, `scale` × 1000 orders. */
export async function createSourceDatabase(name: string, scale = 1): Promise<void> {
  await sql("postgres", `CREATE DATABASE "${name}"`);
  await sql(
    name,
    `CREATE TABLE customer (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE, created_at timestamptz NOT NULL DEFAULT '2026-01-01');
     CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customer(id), total numeric(12,2), items jsonb, note text);
     CREATE INDEX orders_customer ON orders(customer_id);
     CREATE SCHEMA billing;
     CREATE TABLE billing.invoice (id int PRIMARY KEY, pdf bytea, paid boolean);
     CREATE TABLE empty_table (x int);
     CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 500;
     INSERT INTO customer (name, email) SELECT 'customer ' || g, 'c' || g || '@example.test' FROM generate_series(1, ${100 * scale}) g;
     INSERT INTO orders (customer_id, total, items, note)
       SELECT 1 + g % ${100 * scale}, (g * 7 % 1000) + 0.25, jsonb_build_object('sku', 'S' || g, 'qty', g % 5), repeat(md5(g::text), 4)
       FROM generate_series(1, ${1000 * scale}) g;
     INSERT INTO billing.invoice SELECT g, decode(md5(g::text), 'hex'), g % 2 = 0 FROM generate_series(1, ${50 * scale}) g;`,
  );
}

/** A fingerprint of every table's contents, to compare a restored copy with its source. */
export async function contentsOf(database: string): Promise<Record<string, string>> {
  const tables = await sql<{ t: string }>(
    database,
    `SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'v') AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
  );
  const out: Record<string, string> = {};
  for (const { t } of tables) {
    const [row] = await sql<{ n: string; h: string | null }>(database, `SELECT count(*)::text AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS h FROM ${t} x`);
    out[t] = `${row?.n}:${row?.h}`;
  }
  return out;
}

export async function dropDatabases(...names: string[]): Promise<void> {
  for (const n of names) await sql("postgres", `DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`);
}

/** An environment and an endpoint pointing at a database of the local server. */
export async function createEndpoint(db: Db, database: string, secretKey: string, name = `ep-${database}`): Promise<string> {
  const env = await db.environment.upsert({ where: { name: "backup-test" }, create: { id: `env_${randomBytes(4).toString("hex")}`, name: "backup-test" }, update: {} });
  const id = `ep_${randomBytes(6).toString("hex")}`;
  const u = new URL(SERVER);
  await db.databaseEndpoint.create({
    data: {
      id,
      name,
      environmentId: env.id,
      host: u.hostname,
      port: Number(u.port || 5432),
      database,
      username: decodeURIComponent(u.username || "postgres"),
      // The local server trusts loopback; the password still travels the real path (decrypt → PGPASSWORD).
      passwordEnc: encryptSecret("not-a-real-password", secretKey),
    },
  });
  return id;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
