import { diffMesh, parseMeshYaml, type Issue, type MeshChange, type MeshDefinition } from "@dbmesh/mesh";
import type { Context } from "../../context";
import { AppError } from "../../errors";
import { currentMeshRevision } from "../../mesh-revision";
import { mutate, type Tx } from "../mutation";
import { deleteAccessRule, saveAccessRule } from "./access-rules";
import { deleteEndpoint, saveEndpoint } from "./endpoints";
import { deleteEnvironment, saveEnvironment } from "./environments";
import { loadMeshDefinition } from "./snapshot";
import { deleteStrategy, saveStrategy } from "./traffic-strategies";
import { deleteVirtualDatabase, saveVirtualDatabase } from "./virtual-databases";

export interface ImportPreview {
  ok: boolean;
  /** Each with the YAML line when known. */
  errors: Issue[];
  changes: MeshChange[];
  summary: { create: number; update: number; delete: number; unchanged: number };
  /** The revision the preview was computed against; apply refuses if the mesh moved since. */
  baseRevision: number;
}

function summarize(changes: MeshChange[]) {
  const s = { create: 0, update: 0, delete: 0, unchanged: 0 };
  for (const c of changes) s[c.op] += 1;
  return s;
}

async function plan(tx: Tx, yaml: string, prune: boolean) {
  const parsed = parseMeshYaml(yaml);
  if ("errors" in parsed) return { errors: parsed.errors, changes: [] as MeshChange[], desired: null };
  const current = await loadMeshDefinition(tx);
  return { errors: [], changes: diffMesh(current, parsed.mesh, { prune }), desired: parsed.mesh };
}

export async function previewImport(ctx: Context, input: { yaml: string; prune: boolean }): Promise<ImportPreview> {
  const baseRevision = await currentMeshRevision(ctx.db);
  const { errors, changes } = await plan(ctx.db, input.yaml, input.prune);
  return { ok: errors.length === 0, errors, changes, summary: summarize(changes), baseRevision };
}

type Objects = { [K in keyof MeshDefinition]: MeshDefinition[K][number] };

const kindTable = {
  Environment: { collection: "environments", objectType: "environment", model: "environment" },
  DatabaseEndpoint: { collection: "endpoints", objectType: "endpoint", model: "databaseEndpoint" },
  TrafficStrategy: { collection: "trafficStrategies", objectType: "traffic_strategy", model: "trafficStrategy" },
  VirtualDatabase: { collection: "virtualDatabases", objectType: "virtual_database", model: "virtualDatabase" },
  AccessRule: { collection: "accessRules", objectType: "access_rule", model: "accessRule" },
} as const;

async function idByName(tx: Tx, kind: keyof typeof kindTable, name: string): Promise<string | undefined> {
  const where = { where: { name }, select: { id: true } };
  switch (kindTable[kind].model) {
    case "environment":
      return (await tx.environment.findUnique(where))?.id;
    case "databaseEndpoint":
      return (await tx.databaseEndpoint.findUnique(where))?.id;
    case "trafficStrategy":
      return (await tx.trafficStrategy.findUnique(where))?.id;
    case "virtualDatabase":
      return (await tx.virtualDatabase.findUnique(where))?.id;
    case "accessRule":
      return (await tx.accessRule.findUnique(where))?.id;
  }
}

async function saveObject(ctx: Context, tx: Tx, kind: keyof typeof kindTable, obj: unknown, id?: string) {
  switch (kind) {
    case "Environment":
      return saveEnvironment(tx, obj as Objects["environments"], id);
    case "DatabaseEndpoint":
      return saveEndpoint(tx, obj as Objects["endpoints"], ctx.env.DBMESH_SECRET_KEY, id);
    case "TrafficStrategy":
      return saveStrategy(tx, obj as Objects["trafficStrategies"], id);
    case "VirtualDatabase":
      return saveVirtualDatabase(tx, obj as Objects["virtualDatabases"], id);
    case "AccessRule":
      return saveAccessRule(tx, obj as Objects["accessRules"], id);
  }
}

async function deleteObject(tx: Tx, kind: keyof typeof kindTable, id: string) {
  switch (kind) {
    case "Environment":
      return deleteEnvironment(tx, id);
    case "DatabaseEndpoint":
      return deleteEndpoint(tx, id);
    case "TrafficStrategy":
      return deleteStrategy(tx, id);
    case "VirtualDatabase":
      return deleteVirtualDatabase(tx, id);
    case "AccessRule":
      return deleteAccessRule(tx, id);
  }
}

const ORDER = Object.keys(kindTable) as (keyof typeof kindTable)[];

/**
 * Applies a YAML mesh in one transaction: creates and updates in dependency order, deletes (with
 * prune) in reverse; one audit row per object plus one for the import; one revision bump.
 */
export async function applyImport(ctx: Context, input: { yaml: string; prune: boolean; baseRevision?: number }) {
  return mutate(ctx, { mesh: true }, async (tx, audit) => {
    if (input.baseRevision !== undefined) {
      const rev = await currentMeshRevision(tx);
      if (rev !== input.baseRevision) {
        throw new AppError("CONFLICT", `the mesh changed since the preview (revision ${input.baseRevision} → ${rev}): preview again`);
      }
    }
    const { errors, changes, desired } = await plan(tx, input.yaml, input.prune);
    if (!desired) throw new AppError("BAD_REQUEST", `the YAML is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, { field: "yaml" });
    const byKind = (op: MeshChange["op"], kinds: typeof ORDER) =>
      kinds.flatMap((k) => changes.filter((c) => c.kind === k && c.op === op));
    for (const change of [...byKind("create", ORDER), ...byKind("update", ORDER)]) {
      const kind = change.kind as keyof typeof kindTable;
      const list = desired[kindTable[kind].collection] as { name: string }[];
      const obj = list.find((o) => o.name === change.name);
      const id = change.op === "update" ? await idByName(tx, kind, change.name) : undefined;
      const saved = await saveObject(ctx, tx, kind, obj, id);
      await audit({
        action: `${kindTable[kind].objectType}.${change.op}`,
        objectType: kindTable[kind].objectType,
        objectId: saved.id,
        objectName: change.name,
        before: saved.before,
        after: saved.after,
      });
    }
    for (const change of byKind("delete", [...ORDER].reverse())) {
      const kind = change.kind as keyof typeof kindTable;
      const id = await idByName(tx, kind, change.name);
      if (!id) continue;
      const removed = await deleteObject(tx, kind, id);
      await audit({ action: `${kindTable[kind].objectType}.delete`, objectType: kindTable[kind].objectType, objectId: id, objectName: change.name, before: removed.before });
    }
    const summary = summarize(changes);
    await audit({ action: "mesh.import", objectType: "mesh", objectName: "mesh", after: { ...summary, prune: input.prune } });
    return { summary };
  });
}
