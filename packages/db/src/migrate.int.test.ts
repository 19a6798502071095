import { randomBytes } from "node:crypto";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checksumOf, DEFAULT_MIGRATIONS_DIR, ensureDatabase, migrate, readMigrations } from "./migrate";
import { createTestDatabase } from "./testing";

const server = process.env.TEST_DATABASE_SERVER_URL ?? "postgresql://postgres@127.0.0.1:5432";

function urlOf(name: string): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dropDatabase(name: string): Promise<void> {
  await withClient(urlOf("postgres"), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

const scratch: string[] = [];
function scratchName(): string {
  // Named like createTestDatabase's, so that a crashed run's leftovers are dropped the same way.
  const name = `dbmesh_it_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  scratch.push(name);
  return name;
}

afterAll(async () => {
  for (const name of scratch) await dropDatabase(name);
});

describe("migrate on a fresh database", () => {
  const url = urlOf(scratchName());

  beforeAll(async () => {
    expect(await ensureDatabase(url)).toBe(true);
    expect(await ensureDatabase(url)).toBe(false);
  });

  it("applies every migration, then a second run is a no-op", async () => {
    const migrations = await readMigrations();
    expect(migrations.length).toBeGreaterThan(0);

    const first = await migrate(url);
    expect(first.applied).toEqual(migrations.map((m) => m.name));

    const second = await migrate(url);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(migrations.map((m) => m.name));
  });

  it("writes Prisma's bookkeeping with the sha256 of each migration.sql", async () => {
    const migrations = await readMigrations();
    const rows = await withClient(url, async (c) =>
      (
        await c.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number; id: string }>(
          `SELECT id, migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
        )
      ).rows,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      expect(row.checksum).toBe(migrations[i]?.checksum);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    const columns = await withClient(url, async (c) =>
      (
        await c.query<{ column_name: string; data_type: string }>(
          `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
        )
      ).rows,
    );
    expect(columns).toEqual([
      { column_name: "id", data_type: "character varying" },
      { column_name: "checksum", data_type: "character varying" },
      { column_name: "finished_at", data_type: "timestamp with time zone" },
      { column_name: "migration_name", data_type: "character varying" },
      { column_name: "logs", data_type: "text" },
      { column_name: "rolled_back_at", data_type: "timestamp with time zone" },
      { column_name: "started_at", data_type: "timestamp with time zone" },
      { column_name: "applied_steps_count", data_type: "integer" },
    ]);
  });
});

describe("migrate safety", () => {
  it("lets two concurrent starters race without double-applying", async () => {
    const url = urlOf(scratchName());
    await Promise.all([ensureDatabase(url), ensureDatabase(url)]);
    const [a, b] = await Promise.all([migrate(url), migrate(url)]);
    const count = (await readMigrations()).length;
    expect(a.applied.length + b.applied.length).toBe(count);
    const { rows } = await withClient(url, (c) => c.query(`SELECT 1 FROM "_prisma_migrations"`));
    expect(rows).toHaveLength(count);
  });

  it("refuses when an applied migration was edited, naming it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dbmesh-migrations-"));
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      const url = urlOf(scratchName());
      await ensureDatabase(url);
      await migrate(url, undefined, { migrationsDir: dir });

      const [first] = await readMigrations(dir);
      if (!first) throw new Error("no migrations");
      const edited = `${first.sql}\n-- edited after the fact\n`;
      await writeFile(join(dir, first.name, "migration.sql"), edited);
      await expect(migrate(url, undefined, { migrationsDir: dir })).rejects.toThrow(
        new RegExp(`edited after being applied: ${first.name} \\(database ${first.checksum}, file ${checksumOf(edited)}\\)`),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rolls back a failing migration entirely and records nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dbmesh-migrations-"));
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      const broken = "99990101000000_broken";
      await cp(join(dir, (await readMigrations(dir))[0]!.name), join(dir, broken), { recursive: true });
      await writeFile(join(dir, broken, "migration.sql"), "CREATE TABLE half_done (id int);\nSELECT no_such_function();\n");
      const url = urlOf(scratchName());
      await ensureDatabase(url);
      await expect(migrate(url, undefined, { migrationsDir: dir })).rejects.toThrow(/99990101000000_broken failed and was rolled back/);
      const state = await withClient(url, async (c) => ({
        rows: (await c.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations"`)).rows,
        halfDone: (await c.query(`SELECT to_regclass('half_done') AS t`)).rows[0]?.t,
      }));
      expect(state.rows.map((r) => r.migration_name)).not.toContain(broken);
      expect(state.halfDone).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("audit_event (append-only, hash-chained)", () => {
  let testDb: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  async function insertEvent(c: pg.Client, action: string, after: unknown): Promise<void> {
    await c.query(
      `INSERT INTO audit_event (actor_id, actor_email, actor_kind, action, object_type, object_id, after)
       VALUES ('usr_1', 'ada@example.com', 'user', $1, 'environment', 'env_1', $2)`,
      [action, JSON.stringify(after)],
    );
  }

  it("chains hashes on insert and verifies clean", async () => {
    await withClient(testDb.url, async (c) => {
      await insertEvent(c, "environment.create", { name: "staging" });
      await insertEvent(c, "environment.update", { name: "staging-eu" });
      await insertEvent(c, "environment.update", { name: "staging|eu", note: null });
      const { rows } = await c.query<{ id: string; prev_hash: string; hash: string }>(
        "SELECT id, prev_hash, hash FROM audit_event ORDER BY id",
      );
      expect(rows).toHaveLength(3);
      expect(rows[0]?.prev_hash).toBe("");
      expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
      expect(rows[2]?.prev_hash).toBe(rows[1]?.hash);
      for (const r of rows) expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      expect((await c.query("SELECT * FROM audit_verify_chain()")).rows).toEqual([]);
    });
  });

  it("refuses UPDATE, DELETE and TRUNCATE", async () => {
    await withClient(testDb.url, async (c) => {
      await insertEvent(c, "environment.delete", {});
      await expect(c.query("UPDATE audit_event SET action = 'x'")).rejects.toThrow(/append-only: UPDATE/);
      await expect(c.query("DELETE FROM audit_event")).rejects.toThrow(/append-only: DELETE/);
      await expect(c.query("TRUNCATE audit_event")).rejects.toThrow(/append-only: TRUNCATE/);
    });
  });

  it("reports a row tampered with by a superuser who disabled the trigger", async () => {
    await withClient(testDb.url, async (c) => {
      const { rows } = await c.query<{ id: string }>("SELECT id FROM audit_event ORDER BY id LIMIT 1 OFFSET 1");
      const victim = rows[0]?.id;
      expect(victim).toBeDefined();
      await c.query("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete");
      await c.query("UPDATE audit_event SET actor_email = 'mallory@example.com' WHERE id = $1", [victim]);
      await c.query("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_delete");
      const problems = (await c.query<{ event_id: string; problem: string }>("SELECT * FROM audit_verify_chain()")).rows;
      expect(problems).toEqual([{ event_id: victim, problem: "hash does not match the row's content" }]);
    });
  });
});

describe("createTestDatabase", () => {
  it("gives each caller its own migrated database and drops it", async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.url).not.toBe(b.url);
      await a.db.environment.create({ data: { id: "env_a", name: "only-in-a" } });
      expect(await a.db.environment.count()).toBe(1);
      expect(await b.db.environment.count()).toBe(0);
      expect((await b.db.meshState.findUniqueOrThrow({ where: { id: 1 } })).revision).toBe(0n);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
    const name = new URL(a.url).pathname.slice(1);
    const { rowCount } = await withClient(urlOf("postgres"), (c) => c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]));
    expect(rowCount).toBe(0);
  });
});
