// The server's own permission table (a tiny pure module): the console hides or disables what a role
// may not do, and the server refuses it anyway.
import { isAllowed, permissions, type Role } from "@dbmesh/api/permissions";

export type { Role };

/** Whether `role` may call the tRPC procedure `path` (e.g. "endpoint.create"). */
export function can(role: Role | null | undefined, path: string): boolean {
  return isAllowed(permissions[path], role ?? null);
}

/** The roles that may call `path`, for "your role cannot …; ADMIN and DBA users can" messages. */
export function rolesAllowed(path: string): Role[] {
  const allow = permissions[path];
  return Array.isArray(allow) ? [...allow] : [];
}
