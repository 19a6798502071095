import { randomBytes } from "node:crypto";

// Backend names derived from the virtual database name, chosen when a request is approved and stored
// on it before anything is created: whatever a crash leaves behind, dbmesh knows its name.

/** Extensions a developer may ask for: contrib modules without server-side file or program access. */
export const ALLOWED_EXTENSIONS = [
  "btree_gin",
  "btree_gist",
  "citext",
  "fuzzystrmatch",
  "hstore",
  "intarray",
  "ltree",
  "pg_trgm",
  "pgcrypto",
  "tablefunc",
  "unaccent",
  "uuid-ossp",
] as const;

export const SIZE_CLASSES = ["small", "medium", "large"] as const;

/** A PostgreSQL identifier from a resource name: `orders-api` → `orders_api` (at most 50 characters). */
export function backendIdentifier(vdbName: string): string {
  const base = vdbName.replace(/-/g, "_").replace(/[^a-z0-9_]/g, "");
  return (/^[a-z_]/.test(base) ? base : `d_${base}`).slice(0, 50);
}

export function newDatabaseNames(vdbName: string) {
  const db = backendIdentifier(vdbName);
  return { backendDatabase: db, ownerRole: `${db}_owner`, credentialName: `${db}_app`, endpointName: `${vdbName}-primary`.slice(0, 63) };
}

/** An access credential's name: the virtual database, the requester, and a short random tail (unique). */
export function accessCredentialName(vdbName: string, requesterEmail: string): string {
  const who = requesterEmail.split("@")[0]!.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 16) || "user";
  return `${backendIdentifier(vdbName).slice(0, 36)}_${who}_${randomBytes(3).toString("hex")}`;
}

/** Marks a role as made by dbmesh for one request (COMMENT ON ROLE), so a retry can prove it is ours. */
export function ownershipMarker(requestId: string): string {
  return `dbmesh self-service ${requestId}`;
}
