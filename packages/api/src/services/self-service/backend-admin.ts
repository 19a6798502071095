import pg from "pg";
import { decryptSecret } from "../../crypto/secret-box";

// Admin connections to the server a database is placed on, with the placement endpoint's own
// credentials (decrypted only here, only for the job's duration).

export interface AdminTarget {
  host: string;
  port: number;
  database: string;
  username: string;
  passwordEnc: string | null;
}

export async function withAdminClient<T>(target: AdminTarget, secretKey: string, database: string | null, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    database: database ?? target.database,
    user: target.username,
    password: target.passwordEnc ? decryptSecret(target.passwordEnc, secretKey) : undefined,
    connectionTimeoutMillis: 10_000,
    application_name: "dbmesh-provision",
  });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot connect to ${target.host}:${target.port}/${database ?? target.database} as ${target.username}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export const ident = (c: pg.Client, name: string) => c.escapeIdentifier(name);
export const literal = (c: pg.Client, value: string) => c.escapeLiteral(value);

/** The role's safety properties, checked after creating it: never a way out of its own database. */
export async function assertUnprivileged(c: pg.Client, role: string): Promise<void> {
  const { rows } = await c.query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; exec: boolean; bypass: boolean }>(
    `SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls AS bypass,
            pg_has_role(rolname, 'pg_execute_server_program', 'MEMBER') AS exec
       FROM pg_roles WHERE rolname = $1`,
    [role],
  );
  const r = rows[0];
  if (!r) throw new Error(`role ${role} vanished while it was being provisioned`);
  if (r.rolsuper || r.rolcreaterole || r.rolcreatedb || r.exec || r.bypass) {
    throw new Error(`role ${role} has privileges a provisioned owner must never have (superuser, createrole, createdb, bypassrls or pg_execute_server_program)`);
  }
}
