import { z } from "zod";
import { compareNames } from "./compare-names";
import { meshCollection, MeshKind, meshKinds } from "./mesh-kind";
import { AccessRule, DatabaseEndpoint, Environment, type MeshDefinition, TrafficStrategy, VirtualDatabase } from "./schemas";

export const ChangeOp = z.enum(["create", "update", "delete", "unchanged"]);
export type ChangeOp = z.infer<typeof ChangeOp>;

// before/after are shown in the console and kept in change history: an endpoint never carries its password.
const EndpointWithoutPassword = DatabaseEndpoint.omit({ password: true });

const schemaOf = {
  Environment,
  DatabaseEndpoint: EndpointWithoutPassword,
  TrafficStrategy,
  VirtualDatabase,
  AccessRule,
} as const satisfies Record<MeshKind, z.ZodObject>;

const changeOf = <K extends MeshKind, S extends z.ZodType>(kind: K, resource: S) =>
  z.object({
    kind: z.literal(kind),
    name: z.string(),
    op: ChangeOp,
    /** Top-level fields that differ; only for `update`. `password` means "a new password will be set". */
    fields: z.array(z.string()),
    before: resource.optional(),
    after: resource.optional(),
  });

export const MeshChange = z.discriminatedUnion("kind", [
  changeOf("Environment", Environment),
  changeOf("DatabaseEndpoint", EndpointWithoutPassword),
  changeOf("TrafficStrategy", TrafficStrategy),
  changeOf("VirtualDatabase", VirtualDatabase),
  changeOf("AccessRule", AccessRule),
]);
export type MeshChange = z.infer<typeof MeshChange>;

type AnyResource = { name: string } & Record<string, unknown>;

/**
 * What applying `desired` over `current` would do, resource by resource (matched by kind and name; a
 * rename is a delete plus a create). Resources only in `current` are deleted with `prune`, and otherwise
 * left alone and not listed. Sorted by kind (dependency order) then name.
 *
 * Passwords cannot be compared — the current mesh holds none, or only ciphertext — so a desired endpoint
 * that carries a password is an update of `password`, and one without keeps the current password.
 */
export function diffMesh(current: MeshDefinition, desired: MeshDefinition, opts: { prune: boolean }): MeshChange[] {
  const changes: MeshChange[] = [];
  for (const kind of meshKinds) {
    const collection = meshCollection[kind];
    const before = byName(current[collection] as readonly AnyResource[]);
    const after = byName(desired[collection] as readonly AnyResource[]);
    const fieldOrder = Object.keys(schemaOf[kind].shape);
    const kindChanges: MeshChange[] = [];

    for (const [name, want] of after) {
      const have = before.get(name);
      if (!have) {
        kindChanges.push(change({ kind, name, op: "create", fields: [], after: withoutPassword(want) }));
        continue;
      }
      const fields = changedFields(have, want, fieldOrder);
      if (kind === "DatabaseEndpoint" && typeof want.password === "string" && want.password !== "") {
        fields.push("password");
      }
      kindChanges.push(
        change({
          kind,
          name,
          op: fields.length > 0 ? "update" : "unchanged",
          fields,
          before: withoutPassword(have),
          after: withoutPassword(want),
        }),
      );
    }
    if (opts.prune) {
      for (const [name, have] of before) {
        if (!after.has(name)) {
          kindChanges.push(change({ kind, name, op: "delete", fields: [], before: withoutPassword(have) }));
        }
      }
    }
    changes.push(...kindChanges.sort((a, b) => compareNames(a.name, b.name)));
  }
  return changes;
}

// The loop above walks every kind with one code path, so it cannot prove that `before`/`after` match `kind`;
// they do by construction (both come from the collection of that kind).
function change(c: { kind: MeshKind; name: string; op: ChangeOp; fields: string[]; before?: AnyResource; after?: AnyResource }) {
  return c as unknown as MeshChange;
}

function byName(resources: readonly AnyResource[]): Map<string, AnyResource> {
  // A duplicated name is a checkReferences error; here the last one wins rather than throwing.
  return new Map(resources.map((r) => [r.name, r]));
}

function changedFields(have: AnyResource, want: AnyResource, fieldOrder: string[]): string[] {
  const extra = [...new Set([...Object.keys(have), ...Object.keys(want)])]
    .filter((key) => !fieldOrder.includes(key))
    .sort(compareNames);
  return [...fieldOrder, ...extra].filter((key) => key !== "password" && !isDeepEqual(have[key], want[key]));
}

function withoutPassword(resource: AnyResource): AnyResource {
  const { password: _password, ...rest } = resource;
  return rest as AnyResource;
}

/** Equality of plain data: arrays in order (rule order matters), objects whatever their key order. */
function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => isDeepEqual(v, b[i]));
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  // A key set to undefined and a missing key mean the same thing once parsed.
  return [...keys].every((key) => isDeepEqual(ra[key], rb[key]));
}
