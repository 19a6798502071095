import { ResourceName } from "@dbmesh/mesh";
import { z } from "zod";
import type { Context } from "../context";
import { AppError } from "../errors";
import { newId } from "../ids";
import { newSecretToken, sha256Hex } from "../crypto/token";
import { currentMeshRevision } from "../mesh-revision";
import { mutate, notFound } from "./mutation";

export const AGENT_TOKEN_PREFIX = "dbmag";

export interface AgentAlarm {
  code: string;
  message: string;
  /** ISO time the condition began. */
  since: string;
}

export const AgentCreateInput = z.object({ name: ResourceName });

/** An agent counts as up while its heartbeats (every 10 s) keep coming. */
const STALE_AFTER_MS = 35_000;

function view(a: Awaited<ReturnType<Context["db"]["agent"]["findMany"]>>[number], revision: number) {
  const applied = a.appliedRevision === null ? null : Number(a.appliedRevision);
  const alive = !!a.lastHeartbeatAt && Date.now() - a.lastHeartbeatAt.getTime() < STALE_AFTER_MS;
  return {
    id: a.id,
    name: a.name,
    tokenPrefix: a.tokenPrefix,
    revoked: a.revokedAt !== null,
    createdAt: a.createdAt,
    version: a.version,
    address: a.address,
    remoteAddress: a.remoteAddress,
    startedAt: a.startedAt,
    lastHeartbeatAt: a.lastHeartbeatAt,
    appliedRevision: applied,
    status: a.revokedAt ? ("revoked" as const) : !a.lastHeartbeatAt ? ("never_seen" as const) : alive ? ("up" as const) : ("down" as const),
    upToDate: applied !== null && applied >= revision,
    backends: a.backends as { virtualDatabase: string; backend: string; healthy: boolean; lastError: string | null; checkedAt: string | null }[],
    counters: a.counters as Record<string, number>,
    /** As of the last heartbeat. */
    alarms: a.alarms as unknown as AgentAlarm[],
  };
}

export async function listAgents(ctx: Context) {
  const [agents, revision] = [await ctx.db.agent.findMany({ orderBy: { name: "asc" } }), await currentMeshRevision(ctx.db)];
  return { revision, agents: agents.map((a) => view(a, revision)) };
}

export async function getAgent(ctx: Context, id: string) {
  const agent = await ctx.db.agent.findUnique({ where: { id } });
  if (!agent) throw notFound("agent", id);
  const revision = await currentMeshRevision(ctx.db);
  const fetches = await ctx.db.agentConfigFetch.findMany({ where: { agentId: id }, orderBy: { id: "desc" }, take: 50 });
  return {
    revision,
    agent: view(agent, revision),
    fetches: fetches.map((f) => ({ id: f.id.toString(), at: f.at, status: f.status, revision: Number(f.revision), knownRevision: f.knownRevision === null ? null : Number(f.knownRevision), waitedMs: f.waitedMs })),
  };
}

/** Registers an agent by name and returns its token once. */
export async function createAgent(ctx: Context, input: { name: string }) {
  const token = newSecretToken(AGENT_TOKEN_PREFIX);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    if (await tx.agent.findUnique({ where: { name: input.name } })) {
      throw new AppError("CONFLICT", `an agent named "${input.name}" already exists`, { field: "name" });
    }
    const row = await tx.agent.create({ data: { id: newId("agt"), name: input.name, tokenHash: sha256Hex(token), tokenPrefix: token.slice(0, 12) } });
    await audit({ action: "agent.create", objectType: "agent", objectId: row.id, objectName: row.name });
    return { id: row.id, name: row.name, token };
  });
}

export async function revokeAgent(ctx: Context, input: { id: string }) {
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const row = await tx.agent.findUnique({ where: { id: input.id } });
    if (!row) throw notFound("agent", input.id);
    if (row.revokedAt) throw new AppError("PRECONDITION_FAILED", `agent "${row.name}" is already revoked`);
    await tx.agent.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
    await audit({ action: "agent.revoke", objectType: "agent", objectId: row.id, objectName: row.name });
    return { id: row.id };
  });
}
