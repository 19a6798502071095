// Where a plan's backups come from: its endpoint, or its virtual database's primary backend.
import type { Db, Prisma } from "@dbmesh/db";
import type { PgConnection } from "./pg-tools";

type Reader = Db | Prisma.TransactionClient;
export type Decrypt = (box: string) => string;

export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SourceError";
  }
}

export async function endpointConnection(db: Reader, endpointId: string, decrypt: Decrypt, database?: string | null): Promise<{ endpointId: string; conn: PgConnection }> {
  const ep = await db.databaseEndpoint.findUnique({ where: { id: endpointId } });
  if (!ep) throw new SourceError(`endpoint ${endpointId} no longer exists`);
  if (ep.protocol !== "POSTGRESQL") throw new SourceError(`endpoint "${ep.name}" speaks ${ep.protocol}: only PostgreSQL endpoints can be backed up with pg_dump`);
  let password: string | null = null;
  if (ep.passwordEnc) {
    try {
      password = decrypt(ep.passwordEnc);
    } catch {
      throw new SourceError(`the stored password of endpoint "${ep.name}" cannot be decrypted: is DBMESH_SECRET_KEY the key the console uses?`);
    }
  }
  return { endpointId: ep.id, conn: { host: ep.host, port: ep.port, user: ep.username, password, database: database || ep.database } };
}

export async function planSource(
  db: Reader,
  plan: { name: string; endpointId: string | null; virtualDatabaseId: string | null; database: string | null },
  decrypt: Decrypt,
): Promise<{ endpointId: string; conn: PgConnection }> {
  if (plan.endpointId) return endpointConnection(db, plan.endpointId, decrypt, plan.database);
  if (!plan.virtualDatabaseId) throw new SourceError(`backup plan "${plan.name}" has no source`);
  const vdb = await db.virtualDatabase.findUnique({
    where: { id: plan.virtualDatabaseId },
    include: { backends: { include: { endpoint: true } } },
  });
  if (!vdb) throw new SourceError(`virtual database ${plan.virtualDatabaseId} no longer exists`);
  const primary = vdb.backends
    .map((b) => b.endpoint)
    .filter((e) => e.role === "PRIMARY" && e.protocol === "POSTGRESQL")
    .sort((a, b) => a.name.localeCompare(b.name))[0];
  if (!primary) throw new SourceError(`virtual database "${vdb.name}" has no PostgreSQL primary backend to back up`);
  return endpointConnection(db, primary.id, decrypt, plan.database);
}
