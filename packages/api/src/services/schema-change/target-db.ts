import type { Db } from "@dbmesh/db";
import pg from "pg";
import { decryptSecret } from "../../crypto/secret-box";

export interface TargetEndpoint {
  id: string;
  name: string;
  host: string;
  port: number;
  database: string;
  username: string;
  passwordEnc: string | null;
}

/** Where a target is, for messages: never the password. */
export function targetLabel(e: Pick<TargetEndpoint, "name" | "host" | "port" | "database">): string {
  return `endpoint ${e.name} (${e.host}:${e.port}/${e.database})`;
}

export async function loadTargetEndpoint(db: Db, endpointId: string): Promise<TargetEndpoint> {
  const e = await db.databaseEndpoint.findUnique({ where: { id: endpointId } });
  if (!e) throw new Error(`endpoint ${endpointId} no longer exists: it was deleted after the change request was created`);
  if (e.protocol !== "POSTGRESQL") throw new Error(`endpoint ${e.name} is ${e.protocol}: the schema pipeline handles PostgreSQL only`);
  return e;
}

/**
 * A dedicated connection to a target (never a pool: lock_timeout, statement_timeout and the
 * transaction belong to this one session). The password is decrypted only here, in memory.
 */
export async function connectTarget(endpoint: TargetEndpoint, secretKey: string | undefined, applicationName: string): Promise<pg.Client> {
  let password: string | undefined;
  if (endpoint.passwordEnc) {
    if (!secretKey) throw new Error("DBMESH_SECRET_KEY is not set for this process: it cannot decrypt endpoint passwords");
    password = decryptSecret(endpoint.passwordEnc, secretKey);
  }
  const client = new pg.Client({
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: endpoint.username,
    password,
    connectionTimeoutMillis: 10_000,
    application_name: applicationName,
  });
  // An 'error' after connect (server restart, killed backend) must not crash the worker.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw new Error(`${targetLabel(endpoint)} is unreachable: ${(err as Error).message}`);
  }
  return client;
}
