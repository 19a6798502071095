import type { AccessRule as AccessRuleRecord } from "@dbmesh/db";
import { AccessRule } from "@dbmesh/mesh";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { duplicateName, notFound, type Tx } from "../mutation";

export type AccessRuleView = AccessRule & { id: string; createdAt: Date; updatedAt: Date };

function toView(r: AccessRuleRecord & { virtualDatabase: { name: string } }): AccessRuleView {
  return {
    id: r.id,
    name: r.name,
    virtualDatabase: r.virtualDatabase.name,
    credential: r.credential,
    operations: AccessRule.shape.operations.parse(r.operations),
    tables: r.tables,
    effect: r.effect,
    description: r.description,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export async function listAccessRules(tx: Tx): Promise<AccessRuleView[]> {
  const rows = await tx.accessRule.findMany({ include: { virtualDatabase: { select: { name: true } } }, orderBy: { name: "asc" } });
  return rows.map(toView);
}

export async function getAccessRule(tx: Tx, id: string): Promise<AccessRuleView> {
  const row = await tx.accessRule.findUnique({ where: { id }, include: { virtualDatabase: { select: { name: true } } } });
  if (!row) throw notFound("access rule", id);
  return toView(row);
}

const specOf = ({ id: _i, createdAt: _c, updatedAt: _u, ...spec }: AccessRuleView): AccessRule => spec;

export async function saveAccessRule(tx: Tx, input: AccessRule, id?: string) {
  const clash = await tx.accessRule.findUnique({ where: { name: input.name } });
  if (clash && clash.id !== id) throw duplicateName("access rule", input.name);
  const vdb = await tx.virtualDatabase.findUnique({ where: { name: input.virtualDatabase } });
  if (!vdb) throw new AppError("BAD_REQUEST", `virtual database "${input.virtualDatabase}" does not exist`, { field: "virtualDatabase" });
  const data = {
    name: input.name,
    virtualDatabaseId: vdb.id,
    credential: input.credential,
    operations: [...new Set(input.operations)],
    tables: [...new Set(input.tables)],
    effect: input.effect,
    description: input.description,
  };
  const include = { virtualDatabase: { select: { name: true } } };
  if (!id) {
    const row = await tx.accessRule.create({ data: { id: newId("ar"), ...data }, include });
    return { id: row.id, before: null, after: specOf(toView(row)) };
  }
  const before = await tx.accessRule.findUnique({ where: { id }, include });
  if (!before) throw notFound("access rule", id);
  const row = await tx.accessRule.update({ where: { id }, data, include });
  return { id, before: specOf(toView(before)), after: specOf(toView(row)) };
}

export async function deleteAccessRule(tx: Tx, id: string) {
  const row = await tx.accessRule.findUnique({ where: { id }, include: { virtualDatabase: { select: { name: true } } } });
  if (!row) throw notFound("access rule", id);
  await tx.accessRule.delete({ where: { id } });
  return { name: row.name, before: specOf(toView(row)) };
}
