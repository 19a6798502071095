import pg from "pg";

// Scratch databases and roles on the local PostgreSQL (127.0.0.1:5432, user postgres, trust), one set per test
// file, dropped afterwards.

export const ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

export async function adminQuery(sql: string, database = "postgres"): Promise<pg.QueryResult> {
  const client = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createScratchDatabase(name: string): Promise<{ name: string; drop(): Promise<void> }> {
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${name}`);
  return { name, drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => {}) };
}
