import type { TrafficStrategy as StrategyRecord } from "@dbmesh/db";
import { TrafficStrategy } from "@dbmesh/mesh";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { duplicateName, notFound, type Tx } from "../mutation";

export type StrategyView = TrafficStrategy & { id: string; usedBy: string[]; createdAt: Date; updatedAt: Date };

export function toStrategyView(r: StrategyRecord & { virtualDatabases?: { name: string }[] }): StrategyView {
  // Rows were validated on write; parsing again fills defaults added since and types the JSON.
  const spec = TrafficStrategy.parse({
    name: r.name,
    description: r.description,
    loadBalance: r.loadBalance,
    readWriteSplitting: r.readWriteSplitting,
    connectionPool: r.connectionPool,
    circuitBreaks: r.circuitBreaks,
    concurrencyControls: r.concurrencyControls,
  });
  return { ...spec, id: r.id, usedBy: (r.virtualDatabases ?? []).map((v) => v.name).sort(), createdAt: r.createdAt, updatedAt: r.updatedAt };
}

export async function listStrategies(tx: Tx): Promise<StrategyView[]> {
  const rows = await tx.trafficStrategy.findMany({
    include: { virtualDatabases: { select: { name: true } } },
    orderBy: { name: "asc" },
  });
  return rows.map(toStrategyView);
}

export async function getStrategy(tx: Tx, id: string): Promise<StrategyView> {
  const row = await tx.trafficStrategy.findUnique({ where: { id }, include: { virtualDatabases: { select: { name: true } } } });
  if (!row) throw notFound("traffic strategy", id);
  return toStrategyView(row);
}

export async function strategyIdByName(tx: Tx, name: string | null): Promise<string | null> {
  if (name === null) return null;
  const row = await tx.trafficStrategy.findUnique({ where: { name } });
  if (!row) throw new AppError("BAD_REQUEST", `traffic strategy "${name}" does not exist`, { field: "trafficStrategy" });
  return row.id;
}

const specOf = ({ id: _i, usedBy: _u, createdAt: _c, updatedAt: _d, ...spec }: StrategyView): TrafficStrategy => spec;

export async function saveStrategy(tx: Tx, input: TrafficStrategy, id?: string) {
  const clash = await tx.trafficStrategy.findUnique({ where: { name: input.name } });
  if (clash && clash.id !== id) throw duplicateName("traffic strategy", input.name);
  const data = {
    name: input.name,
    description: input.description,
    loadBalance: input.loadBalance,
    readWriteSplitting: input.readWriteSplitting,
    connectionPool: input.connectionPool,
    circuitBreaks: input.circuitBreaks,
    concurrencyControls: input.concurrencyControls,
  };
  if (!id) {
    const row = await tx.trafficStrategy.create({ data: { id: newId("ts"), ...data } });
    return { id: row.id, before: null, after: specOf(toStrategyView(row)) };
  }
  const before = await tx.trafficStrategy.findUnique({ where: { id } });
  if (!before) throw notFound("traffic strategy", id);
  const row = await tx.trafficStrategy.update({ where: { id }, data });
  return { id, before: specOf(toStrategyView(before)), after: specOf(toStrategyView(row)) };
}

export async function deleteStrategy(tx: Tx, id: string) {
  const row = await tx.trafficStrategy.findUnique({ where: { id }, include: { virtualDatabases: { select: { name: true } } } });
  if (!row) throw notFound("traffic strategy", id);
  if (row.virtualDatabases.length) {
    const names = row.virtualDatabases.map((v) => `"${v.name}"`).join(", ");
    throw new AppError("PRECONDITION_FAILED", `traffic strategy "${row.name}" is used by virtual database ${names}: choose another strategy there first`);
  }
  await tx.trafficStrategy.delete({ where: { id } });
  return { name: row.name, before: specOf(toStrategyView(row)) };
}
