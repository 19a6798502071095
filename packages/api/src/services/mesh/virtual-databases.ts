import { AccessDefault, AuditMode, FunctionNamePattern, Labels, SearchPathSchema, VirtualDatabase } from "@dbmesh/mesh";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { duplicateName, notFound, type Tx } from "../mutation";
import { environmentIdByName } from "./environments";
import { strategyIdByName } from "./traffic-strategies";

export type VirtualDatabaseView = VirtualDatabase & {
  id: string;
  /** Every endpoint that serves it: direct picks plus label-selector matches in its environment. */
  resolvedBackends: { name: string; role: "PRIMARY" | "REPLICA" }[];
  accessRuleCount: number;
  createdAt: Date;
  updatedAt: Date;
};

const include = {
  environment: true,
  trafficStrategy: { select: { name: true } },
  backends: { include: { endpoint: { select: { name: true } } } },
  _count: { select: { accessRules: true } },
} as const;

async function loadViews(tx: Tx, where: { id?: string }): Promise<VirtualDatabaseView[]> {
  // Sequential on purpose: inside an interactive transaction both would share one connection.
  const rows = await tx.virtualDatabase.findMany({ where, include, orderBy: { name: "asc" } });
  const endpoints = await tx.databaseEndpoint.findMany({ select: { name: true, role: true, labels: true, environmentId: true } });
  return rows.map((r) => {
    const selector = Labels.catch({}).parse(r.backendSelector);
    const direct = r.backends.map((b) => b.endpoint.name).sort();
    const selected = Object.keys(selector).length
      ? endpoints.filter((e) => {
          const labels = Labels.catch({}).parse(e.labels);
          return e.environmentId === r.environmentId && Object.entries(selector).every(([k, v]) => labels[k] === v);
        })
      : [];
    const resolved = new Map<string, "PRIMARY" | "REPLICA">();
    for (const e of endpoints) if (direct.includes(e.name)) resolved.set(e.name, e.role);
    for (const e of selected) resolved.set(e.name, e.role);
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      environment: r.environment.name,
      trafficStrategy: r.trafficStrategy?.name ?? null,
      backends: direct,
      backendSelector: selector,
      // Columns the migration constrains; .catch keeps one odd row from breaking every list.
      accessDefault: AccessDefault.catch("deny").parse(r.accessDefault),
      audit: { mode: AuditMode.catch("all").parse(r.auditMode), sampleRate: r.auditSampleRate, keepLiterals: r.auditKeepLiterals },
      rateLimits: { perCredentialPerSecond: r.rateLimitPerCredential, perDatabasePerSecond: r.rateLimitPerDatabase },
      dangerousFunctions: (r.dangerousFunctions ?? []).filter((f) => FunctionNamePattern.safeParse(f).success),
      // The agent sends the same list to the backends, so dropping an odd entry keeps the two in agreement.
      searchPath: (r.searchPath ?? []).filter((s) => SearchPathSchema.safeParse(s).success),
      resolvedBackends: [...resolved].map(([name, role]) => ({ name, role })).sort((a, b) => a.name.localeCompare(b.name)),
      accessRuleCount: r._count.accessRules,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  });
}

export const listVirtualDatabases = (tx: Tx) => loadViews(tx, {});

export async function getVirtualDatabase(tx: Tx, id: string): Promise<VirtualDatabaseView> {
  const [view] = await loadViews(tx, { id });
  if (!view) throw notFound("virtual database", id);
  return view;
}

/** The definition alone (what YAML, diff, compile and audit rows carry), without ids and counts. */
export const specOfVirtualDatabase = (v: VirtualDatabaseView): VirtualDatabase => ({
  name: v.name,
  description: v.description,
  environment: v.environment,
  trafficStrategy: v.trafficStrategy,
  backends: v.backends,
  backendSelector: v.backendSelector,
  accessDefault: v.accessDefault,
  audit: v.audit,
  rateLimits: v.rateLimits,
  dangerousFunctions: v.dangerousFunctions,
  searchPath: v.searchPath,
});
const specOf = specOfVirtualDatabase;

export async function saveVirtualDatabase(tx: Tx, input: VirtualDatabase, id?: string) {
  const clash = await tx.virtualDatabase.findUnique({ where: { name: input.name } });
  if (clash && clash.id !== id) throw duplicateName("virtual database", input.name);
  const environmentId = await environmentIdByName(tx, input.environment);
  const trafficStrategyId = await strategyIdByName(tx, input.trafficStrategy);
  const names = [...new Set(input.backends)];
  const endpoints = await tx.databaseEndpoint.findMany({ where: { name: { in: names } } });
  for (const name of names) {
    const ep = endpoints.find((e) => e.name === name);
    if (!ep) throw new AppError("BAD_REQUEST", `backend endpoint "${name}" does not exist`, { field: "backends" });
    if (ep.environmentId !== environmentId) {
      throw new AppError("BAD_REQUEST", `backend endpoint "${name}" is in another environment than "${input.environment}"`, { field: "backends" });
    }
  }
  const data = {
    name: input.name,
    description: input.description,
    environmentId,
    trafficStrategyId,
    backendSelector: input.backendSelector,
    accessDefault: input.accessDefault,
    auditMode: input.audit.mode,
    auditSampleRate: input.audit.sampleRate,
    auditKeepLiterals: input.audit.keepLiterals,
    rateLimitPerCredential: input.rateLimits.perCredentialPerSecond,
    rateLimitPerDatabase: input.rateLimits.perDatabasePerSecond,
    dangerousFunctions: [...new Set(input.dangerousFunctions)],
    searchPath: input.searchPath,
  };
  let before: VirtualDatabase | null = null;
  if (!id) {
    id = newId("vdb");
    await tx.virtualDatabase.create({ data: { id, ...data } });
  } else {
    const [old] = await loadViews(tx, { id });
    if (!old) throw notFound("virtual database", id);
    before = specOf(old);
    await tx.virtualDatabase.update({ where: { id }, data });
    await tx.virtualDatabaseBackend.deleteMany({ where: { virtualDatabaseId: id } });
  }
  if (endpoints.length) {
    await tx.virtualDatabaseBackend.createMany({ data: endpoints.map((e) => ({ virtualDatabaseId: id!, endpointId: e.id })) });
  }
  return { id, before, after: specOf(await getVirtualDatabase(tx, id)) };
}

export async function deleteVirtualDatabase(tx: Tx, id: string) {
  const [view] = await loadViews(tx, { id });
  if (!view) throw notFound("virtual database", id);
  // Its access rules go with it (ON DELETE CASCADE); the audit row records how many.
  await tx.virtualDatabase.delete({ where: { id } });
  return { name: view.name, before: { ...specOf(view), accessRulesDeleted: view.accessRuleCount } };
}
