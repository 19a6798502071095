import { Environment } from "@dbmesh/mesh";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { duplicateName, notFound, type Tx } from "../mutation";

export type EnvironmentRow = Environment & { id: string; stage: number; createdAt: Date; updatedAt: Date };

export async function listEnvironments(tx: Tx): Promise<EnvironmentRow[]> {
  const rows = await tx.environment.findMany({ orderBy: { name: "asc" } });
  return rows.map((r) => ({ id: r.id, name: r.name, description: r.description, production: r.production, stage: r.stage, createdAt: r.createdAt, updatedAt: r.updatedAt }));
}

export async function environmentIdByName(tx: Tx, name: string, field = "environment"): Promise<string> {
  const env = await tx.environment.findUnique({ where: { name } });
  if (!env) throw new AppError("BAD_REQUEST", `environment "${name}" does not exist`, { field });
  return env.id;
}

/** Creates or updates (when `id` is given); returns [before, after] for the audit row. */
export async function saveEnvironment(tx: Tx, input: Environment, id?: string) {
  const clash = await tx.environment.findUnique({ where: { name: input.name } });
  if (clash && clash.id !== id) throw duplicateName("environment", input.name);
  const data = { name: input.name, description: input.description, production: input.production };
  if (!id) {
    const row = await tx.environment.create({ data: { id: newId("env"), ...data } });
    return { id: row.id, before: null, after: data };
  }
  const before = await tx.environment.findUnique({ where: { id } });
  if (!before) throw notFound("environment", id);
  await tx.environment.update({ where: { id }, data });
  return { id, before: { name: before.name, description: before.description, production: before.production }, after: data };
}

export async function deleteEnvironment(tx: Tx, id: string) {
  const env = await tx.environment.findUnique({
    where: { id },
    include: { endpoints: { select: { name: true }, take: 3 }, virtualDatabases: { select: { name: true }, take: 3 } },
  });
  if (!env) throw notFound("environment", id);
  const users = [...env.endpoints.map((e) => `endpoint "${e.name}"`), ...env.virtualDatabases.map((v) => `virtual database "${v.name}"`)];
  if (users.length) {
    throw new AppError("PRECONDITION_FAILED", `environment "${env.name}" is still used by ${users.join(", ")}: move or delete those first`);
  }
  await tx.environment.delete({ where: { id } });
  return { name: env.name, before: { name: env.name, description: env.description, production: env.production } };
}
