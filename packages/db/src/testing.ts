import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type Db } from "./index";
import { DEFAULT_MIGRATIONS_DIR, migrate, readMigrations } from "./migrate";

/**
 * A fresh, migrated database per test file: `CREATE DATABASE … TEMPLATE dbmesh_it_template_<fingerprint>` takes a
 * fraction of a second, where migrating from scratch each time would not. The template is built
 * once per set of migrations and rebuilt when any migration.sql changes.
 */

// One template per set of migrations (the name carries the fingerprint), so checkouts with different
// migrations — worktrees of parallel branches — never rebuild each other's template mid-run.
const TEMPLATE_PREFIX = "dbmesh_it_template_";
// Templates of other migration sets are kept for other checkouts, up to this many (the oldest go first).
const KEEP_OTHER_TEMPLATES = 6;
const TEST_DATABASE_PREFIX = "dbmesh_it_";
// Serialises template builds and copies across every test process on this server.
const TEMPLATE_LOCK_KEY = 72707370;
// Test databases left behind by a crashed run are dropped once they are this old.
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

function serverUrl(): string {
  return process.env.TEST_DATABASE_SERVER_URL ?? "postgresql://postgres@127.0.0.1:5432";
}

function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl("postgres"), application_name: "dbmesh-testing" });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function migrationsFingerprint(): Promise<string> {
  const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
  const hash = createHash("sha256");
  for (const m of migrations) hash.update(`${m.name}\0${m.checksum}\n`);
  return `dbmesh migrations ${hash.digest("hex")}`;
}

export function templateDatabaseName(fingerprint: string): string {
  return `${TEMPLATE_PREFIX}${createHash("sha256").update(fingerprint).digest("hex").slice(0, 12)}`;
}

async function ensureTemplate(admin: pg.Client, fingerprint: string): Promise<string> {
  const template = templateDatabaseName(fingerprint);
  const { rows } = await admin.query<{ comment: string | null }>(
    "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
    [template],
  );
  if (rows[0]?.comment === fingerprint) return template;

  // Missing or half-built (no comment yet): build it anew.
  await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${template}`);
  await migrate(databaseUrl(template));
  // Written last: its presence is what marks the template as complete.
  await admin.query(`COMMENT ON DATABASE ${template} IS '${fingerprint.replace(/'/g, "''")}'`);
  await dropOldTemplates(admin, template);
  return template;
}

async function dropOldTemplates(admin: pg.Client, current: string): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    // The template of the single-template scheme this replaced goes too.
    "SELECT datname FROM pg_database WHERE (datname LIKE $1 OR datname = 'dbmesh_it_template') AND datname <> $2 ORDER BY oid DESC",
    [`${TEMPLATE_PREFIX}%`, current],
  );
  for (const { datname } of rows.slice(KEEP_OTHER_TEMPLATES)) {
    await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
}

async function dropStale(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname NOT LIKE $2",
    [`${TEST_DATABASE_PREFIX}%`, `${TEMPLATE_PREFIX}%`],
  );
  for (const { datname } of rows) {
    const stamp = /^dbmesh_it_([0-9a-z]{8,9})_[0-9a-f]{8}$/.exec(datname)?.[1];
    if (stamp && Date.now() - parseInt(stamp, 36) > STALE_AFTER_MS) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  }
}

/** A new database with every migration applied, and a Prisma client on it. Call drop() when done. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const fingerprint = await migrationsFingerprint();
  const name = `${TEST_DATABASE_PREFIX}${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;

  await withAdmin(async (admin) => {
    await admin.query("SELECT pg_advisory_lock($1)", [TEMPLATE_LOCK_KEY]);
    try {
      const template = await ensureTemplate(admin, fingerprint);
      await admin.query(`CREATE DATABASE "${name}" TEMPLATE ${template}`);
      await dropStale(admin);
    } finally {
      await admin.query("SELECT pg_advisory_unlock($1)", [TEMPLATE_LOCK_KEY]);
    }
  });

  const url = databaseUrl(name);
  const db = createDb(url, { max: 4 });
  let dropped = false;
  return {
    url,
    db,
    async drop() {
      if (dropped) return;
      dropped = true;
      await db.$disconnect();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
