import type { Prisma } from "@dbmesh/db";

type Reader = Pick<Prisma.TransactionClient, "virtualDatabase" | "databaseEndpoint">;

export interface ChangeTarget {
  endpointId: string;
  endpointName: string;
  environmentId: string;
  environmentName: string;
  /** The environment's rollout stage: lower goes first. */
  stage: number;
  production: boolean;
}

function labelsMatch(labels: unknown, selector: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  if (entries.length === 0 || typeof labels !== "object" || labels === null) return false;
  const l = labels as Record<string, unknown>;
  return entries.every(([k, v]) => l[k] === v);
}

/**
 * The databases a change is applied to, in rollout order (environment stage, then names).
 * For a virtual database: its PRIMARY PostgreSQL endpoints — the ones it picks directly and, in
 * every environment, those its label selector matches. The agent routes only within the virtual
 * database's own environment; the schema pipeline follows the same database through its
 * environments (dev → staging → prod), which the selector identifies.
 */
export async function resolveTargets(tx: Reader, target: { virtualDatabaseId: string | null; endpointIds: string[] }): Promise<ChangeTarget[]> {
  const include = { environment: true } as const;
  let endpoints: Prisma.DatabaseEndpointGetPayload<{ include: typeof include }>[];
  if (target.virtualDatabaseId) {
    const vdb = await tx.virtualDatabase.findUnique({ where: { id: target.virtualDatabaseId }, include: { backends: true } });
    if (!vdb) return [];
    const direct = new Set(vdb.backends.map((b) => b.endpointId));
    const selector = (vdb.backendSelector ?? {}) as Record<string, string>;
    const all = await tx.databaseEndpoint.findMany({ where: { role: "PRIMARY", protocol: "POSTGRESQL" }, include });
    endpoints = all.filter((e) => direct.has(e.id) || labelsMatch(e.labels, selector));
  } else {
    endpoints = await tx.databaseEndpoint.findMany({ where: { id: { in: target.endpointIds }, protocol: "POSTGRESQL" }, include });
  }
  return endpoints
    .map((e) => ({
      endpointId: e.id,
      endpointName: e.name,
      environmentId: e.environmentId,
      environmentName: e.environment.name,
      stage: e.environment.stage,
      production: e.environment.production,
    }))
    .sort((a, b) => a.stage - b.stage || a.environmentName.localeCompare(b.environmentName) || a.endpointName.localeCompare(b.endpointName));
}
