// Test fixture for the schema pipeline: a control database (harness), two real target databases
// standing for dev and staging, a virtual database that follows them, and a BullMQ prefix of its own.
import { randomBytes } from "node:crypto";
import { createHarness, type Caller, type Harness } from "@dbmesh/api/testing";
import { createRedis } from "@dbmesh/queue";
import pg from "pg";

const SERVER = process.env.TEST_DATABASE_SERVER_URL ?? "postgresql://postgres@127.0.0.1:5432";
export const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export function dbUrl(name: string): string {
  const u = new URL(SERVER);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: dbUrl("postgres") });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function withTarget<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: dbUrl(database) });
  c.on("error", () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Schema + data of a target, to prove that something left it untouched. */
export async function fingerprintTarget(database: string): Promise<{ tables: string; data: Record<string, string> }> {
  return withTarget(database, async (c) => {
    const { rows } = await c.query<{ t: string }>(
      "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    const cols = await c.query<{ d: string }>(
      "SELECT string_agg(table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || ':' || coalesce(column_default, ''), ',' ORDER BY table_name, ordinal_position) AS d FROM information_schema.columns WHERE table_schema = 'public'",
    );
    const idx = await c.query<{ d: string }>("SELECT string_agg(indexdef, ',' ORDER BY indexname) AS d FROM pg_indexes WHERE schemaname = 'public'");
    const data: Record<string, string> = {};
    for (const { t } of rows) {
      const r = await c.query<{ h: string }>(`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x`);
      data[t] = r.rows[0]!.h;
    }
    return { tables: `${rows.map((r) => r.t).join(",")}\n${cols.rows[0]?.d}\n${idx.rows[0]?.d}`, data };
  });
}

export interface SchemaFixture {
  h: Harness;
  prefixBase: string;
  label: string;
  devDb: string;
  stagingDb: string;
  vdbId: string;
  admin: Caller;
  dba: Caller;
  dba2: Caller;
  developer: Caller;
  close(): Promise<void>;
}

/** Seeds environments, endpoints on two fresh target databases, and a virtual database following them. */
export async function createSchemaFixture(seedSql: string): Promise<SchemaFixture> {
  const id = randomBytes(4).toString("hex");
  const prefixBase = `dbmesh-test-schema-${id}`;
  const h = await createHarness({ DBMESH_QUEUE_PREFIX: prefixBase });
  const devDb = `dbmesh_it_target_dev_${id}`;
  const stagingDb = `dbmesh_it_target_stg_${id}`;
  for (const d of [devDb, stagingDb]) {
    await adminQuery(`CREATE DATABASE ${d}`);
    await withTarget(d, (c) => c.query(seedSql));
  }
  const admin = await h.as("ADMIN");
  const dba = await h.as("DBA");
  const developer = await h.as("DEVELOPER");
  const second = await h.createUser("DBA");
  const dba2 = await h.callerFor(new Request("http://127.0.0.1/api/trpc", { headers: { authorization: `Bearer ${second.token}` } }));
  const label = `shop-${id}`;
  await admin.environment.create({ name: "dev", description: "", production: false });
  await admin.environment.create({ name: "staging", description: "", production: false });
  await h.tdb.db.environment.update({ where: { name: "dev" }, data: { stage: 10 } });
  await h.tdb.db.environment.update({ where: { name: "staging" }, data: { stage: 20 } });
  const endpoint = (name: string, environment: string, database: string) =>
    admin.endpoint.create({ name, environment, protocol: "POSTGRESQL", host: "127.0.0.1", port: 5432, database, username: "postgres", role: "PRIMARY", weight: 1, labels: { app: label } });
  await endpoint("shop-dev", "dev", devDb);
  await endpoint("shop-staging", "staging", stagingDb);
  const vdb = await admin.virtualDatabase.create({ name: "shop", environment: "dev", trafficStrategy: null, backends: [], backendSelector: { app: label } });
  return {
    h,
    prefixBase,
    label,
    devDb,
    stagingDb,
    vdbId: vdb.id,
    admin,
    dba,
    dba2,
    developer,
    async close() {
      const { closeSchemaQueues } = await import("@dbmesh/api/schema-change");
      await closeSchemaQueues();
      await h.close();
      for (const d of [devDb, stagingDb]) await adminQuery(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => {});
      const redis = createRedis(redisUrl, { forWorker: true });
      const keys = await redis.keys(`{${prefixBase}}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
