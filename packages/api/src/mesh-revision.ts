import type { Prisma } from "@dbmesh/db";

/**
 * Bumps the mesh revision inside the caller's transaction; the database function also sends
 * NOTIFY dbmesh_mesh_revision, delivered only if the transaction commits.
 */
export async function bumpMeshRevision(tx: Prisma.TransactionClient): Promise<number> {
  const rows = await tx.$queryRaw<{ rev: bigint }[]>`SELECT bump_mesh_revision() AS rev`;
  return Number(rows[0]!.rev);
}

export async function currentMeshRevision(db: { meshState: Prisma.TransactionClient["meshState"] }): Promise<number> {
  const row = await db.meshState.findUnique({ where: { id: 1 } });
  return Number(row?.revision ?? 0);
}

export const MESH_REVISION_CHANNEL = "dbmesh_mesh_revision";
