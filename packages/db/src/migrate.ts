import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

/**
 * Applies prisma/migrations with the same `_prisma_migrations` bookkeeping as `prisma migrate
 * deploy`, whose native engine cannot run here. A database migrated by either tool is accepted by
 * the other.
 */

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));

// The key `prisma migrate deploy` itself locks: the CLI and this runner exclude each other too.
const MIGRATE_LOCK_KEY = 72707369;

export type MigrateLog = (message: string) => void;

export interface Migration {
  name: string;
  sql: string;
  /** sha256 hex of migration.sql, as Prisma computes it. */
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

/** The migrations on disk, in name order (Prisma's order: the timestamp prefix). */
export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    let sql: string;
    try {
      sql = await readFile(join(dir, name, "migration.sql"), "utf8");
    } catch {
      throw new MigrationError(`migration folder ${name} has no migration.sql (in ${dir})`);
    }
    migrations.push({ name, sql, checksum: checksumOf(sql) });
  }
  return migrations;
}

// Prisma also accepts a script whose line endings a git checkout converted.
function checksumMatches(m: Migration, stored: string): boolean {
  if (m.checksum === stored) return true;
  const lf = m.sql.replace(/\r\n/g, "\n");
  return checksumOf(lf) === stored || checksumOf(lf.replace(/\n/g, "\r\n")) === stored;
}

const CREATE_BOOKKEEPING = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies every pending migration, each in its own transaction, under a session advisory lock so
 * that two starters never race (the second waits, then finds nothing to do). Refuses to run when
 * an applied migration's file changed, or when a migration failed half-way under the Prisma CLI.
 */
export async function migrate(
  connectionString: string,
  log: MigrateLog = () => {},
  opts: { migrationsDir?: string } = {},
): Promise<MigrateResult> {
  const migrations = await readMigrations(opts.migrationsDir);
  const client = new pg.Client({ connectionString, application_name: "dbmesh-migrate" });
  await client.connect();
  try {
    const { rows: locked } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [MIGRATE_LOCK_KEY]);
    if (!locked[0]?.ok) {
      log("another process is migrating this database; waiting for it to finish");
      await client.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK_KEY]);
    }
    try {
      return await applyPending(client, migrations, log);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATE_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function applyPending(client: pg.Client, migrations: Migration[], log: MigrateLog): Promise<MigrateResult> {
  await client.query(CREATE_BOOKKEEPING);
  const { rows } = await client.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
  );
  // A rolled-back row does not count: Prisma applies that migration again.
  const live = rows.filter((r) => r.rolled_back_at === null);

  const failed = live.filter((r) => r.finished_at === null);
  if (failed.length > 0) {
    const names = failed.map((r) => r.migration_name).join(", ");
    throw new MigrationError(
      `migration ${names} started but never finished (a failed \`prisma migrate deploy\`?). ` +
        `Repair the database by hand, then mark it with \`prisma migrate resolve --applied\` or ` +
        `\`--rolled-back\`; for a throwaway database, drop it and migrate again.`,
    );
  }

  const onDisk = new Set(migrations.map((m) => m.name));
  for (const r of live) {
    if (!onDisk.has(r.migration_name)) {
      log(`warning: ${r.migration_name} is applied in the database but missing from the migrations folder`);
    }
  }

  const appliedByName = new Map(live.map((r) => [r.migration_name, r]));
  const changed = migrations.filter((m) => {
    const row = appliedByName.get(m.name);
    return row !== undefined && !checksumMatches(m, row.checksum);
  });
  if (changed.length > 0) {
    const details = changed.map((m) => `${m.name} (database ${appliedByName.get(m.name)?.checksum}, file ${m.checksum})`);
    throw new MigrationError(
      `refusing to migrate: ${changed.length === 1 ? "an applied migration was" : "applied migrations were"} ` +
        `edited after being applied: ${details.join("; ")}. Never edit an applied migration: restore ` +
        `the file and add a new migration instead; for a throwaway database, drop it and migrate again.`,
    );
  }

  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const m of migrations) {
    if (appliedByName.has(m.name)) {
      result.alreadyApplied.push(m.name);
      continue;
    }
    log(`applying ${m.name}`);
    const started = Date.now();
    await client.query("BEGIN");
    try {
      const id = randomUUID();
      await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, clock_timestamp())`,
        [id, m.checksum, m.name],
      );
      // No parameters: the simple-query protocol runs a whole multi-statement script.
      await client.query(m.sql);
      await client.query(
        `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
        [id],
      );
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      const reason = err instanceof Error ? err.message : String(err);
      throw new MigrationError(`migration ${m.name} failed and was rolled back: ${reason}`, { cause: err });
    }
    log(`applied ${m.name} in ${Date.now() - started} ms`);
    result.applied.push(m.name);
  }
  if (result.applied.length === 0) log(`database is up to date (${result.alreadyApplied.length} migrations applied)`);
  return result;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The connection string of the same server's `postgres` maintenance database. */
export function maintenanceUrl(connectionString: string): string {
  const url = new URL(connectionString);
  url.pathname = "/postgres";
  return url.toString();
}

export function databaseNameOf(connectionString: string): string {
  const name = decodeURIComponent(new URL(connectionString).pathname.replace(/^\//, ""));
  if (!name) throw new MigrationError(`the connection string names no database: ${redactUrl(connectionString)}`);
  return name;
}

/** For messages: the URL without its password. */
export function redactUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable connection string)";
  }
}

/** Creates the connection string's database when it does not exist yet. Returns whether it did. */
export async function ensureDatabase(connectionString: string): Promise<boolean> {
  const name = databaseNameOf(connectionString);
  const client = new pg.Client({ connectionString: maintenanceUrl(connectionString), application_name: "dbmesh-migrate" });
  try {
    await client.connect();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new MigrationError(
      `cannot reach PostgreSQL at ${redactUrl(maintenanceUrl(connectionString))} (${reason}): is the server running?`,
      { cause: err },
    );
  }
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (err) {
      // Another starter created it between our check and our CREATE (a concurrent CREATE fails
      // with 23505 on pg_database's unique index rather than 42P04).
      const again = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (again.rowCount) return false;
      throw err;
    }
  } finally {
    await client.end();
  }
}
