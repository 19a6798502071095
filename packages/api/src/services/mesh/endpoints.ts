import type { DatabaseEndpoint as EndpointRecord } from "@dbmesh/db";
import { DatabaseEndpoint, Labels } from "@dbmesh/mesh";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { encryptSecret } from "../../crypto/secret-box";
import { duplicateName, notFound, type Tx } from "../mutation";
import { environmentIdByName } from "./environments";

/** What the API returns: never the password, only whether one is set. */
export type EndpointView = Omit<DatabaseEndpoint, "password"> & {
  id: string;
  hasPassword: boolean;
  createdAt: Date;
  updatedAt: Date;
};

export function toEndpointView(r: EndpointRecord & { environment: { name: string } }): EndpointView {
  return {
    id: r.id,
    name: r.name,
    environment: r.environment.name,
    protocol: r.protocol,
    host: r.host,
    port: r.port,
    database: r.database,
    username: r.username,
    role: r.role,
    weight: r.weight,
    labels: Labels.catch({}).parse(r.labels),
    hasPassword: r.passwordEnc !== null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export async function listEndpoints(tx: Tx): Promise<EndpointView[]> {
  const rows = await tx.databaseEndpoint.findMany({ include: { environment: true }, orderBy: { name: "asc" } });
  return rows.map(toEndpointView);
}

export async function getEndpoint(tx: Tx, id: string): Promise<EndpointView> {
  const row = await tx.databaseEndpoint.findUnique({ where: { id }, include: { environment: true } });
  if (!row) throw notFound("endpoint", id);
  return toEndpointView(row);
}

function auditShape(v: EndpointView, passwordChanged: boolean) {
  const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = v;
  return passwordChanged ? { ...rest, password: "[changed]" } : rest;
}

/**
 * Creates or updates an endpoint. On update an absent or empty password keeps the stored one, so
 * the console never needs to know it.
 */
export async function saveEndpoint(tx: Tx, input: DatabaseEndpoint, secretKey: string, id?: string) {
  const clash = await tx.databaseEndpoint.findUnique({ where: { name: input.name } });
  if (clash && clash.id !== id) throw duplicateName("endpoint", input.name);
  const environmentId = await environmentIdByName(tx, input.environment);
  const data = {
    name: input.name,
    environmentId,
    protocol: input.protocol,
    host: input.host,
    port: input.port,
    database: input.database,
    username: input.username,
    role: input.role,
    weight: input.weight,
    labels: input.labels,
  };
  const passwordGiven = input.password !== undefined && input.password !== "";
  const passwordEnc = passwordGiven ? encryptSecret(input.password!, secretKey) : undefined;
  if (!id) {
    const row = await tx.databaseEndpoint.create({
      data: { id: newId("ep"), ...data, passwordEnc: passwordEnc ?? null },
      include: { environment: true },
    });
    return { id: row.id, before: null, after: auditShape(toEndpointView(row), passwordGiven) };
  }
  const before = await tx.databaseEndpoint.findUnique({ where: { id }, include: { environment: true } });
  if (!before) throw notFound("endpoint", id);
  if (before.environmentId !== environmentId) {
    const pinned = await tx.virtualDatabaseBackend.findFirst({
      where: { endpointId: id, virtualDatabase: { environmentId: { not: environmentId } } },
      include: { virtualDatabase: true },
    });
    if (pinned) {
      throw new AppError(
        "PRECONDITION_FAILED",
        `endpoint "${before.name}" is a backend of virtual database "${pinned.virtualDatabase.name}" in environment "${before.environment.name}": remove it there before moving it`,
        { field: "environment" },
      );
    }
  }
  const row = await tx.databaseEndpoint.update({
    where: { id },
    data: { ...data, ...(passwordEnc ? { passwordEnc } : {}) },
    include: { environment: true },
  });
  return { id, before: auditShape(toEndpointView(before), false), after: auditShape(toEndpointView(row), passwordGiven) };
}

export async function deleteEndpoint(tx: Tx, id: string) {
  const row = await tx.databaseEndpoint.findUnique({
    where: { id },
    include: { environment: true, backendOf: { include: { virtualDatabase: true }, take: 3 } },
  });
  if (!row) throw notFound("endpoint", id);
  if (row.backendOf.length) {
    const names = row.backendOf.map((b) => `"${b.virtualDatabase.name}"`).join(", ");
    throw new AppError("PRECONDITION_FAILED", `endpoint "${row.name}" is a backend of virtual database ${names}: remove it there first`);
  }
  await tx.databaseEndpoint.delete({ where: { id } });
  return { name: row.name, before: auditShape(toEndpointView(row), false) };
}
