import { createHash } from "node:crypto";
import type { AgentBackend } from "@dbmesh/mesh";

// A backend as the pools see it. Two configs that name the same host, port, database, user and password
// describe the same servers, so their identity key is equal and the pool survives the config swap. The
// password enters the key only as a hash, so keys can be logged. The virtual database's search path is part of
// the identity too: it is sent at login, so servers started with another path are other servers.

export interface BackendTarget {
  /** Endpoint name in the config (for messages and metrics). */
  name: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | null;
  /**
   * The virtual database's `searchPath`, sent as a startup parameter so the server's session starts there (and
   * RESET / DISCARD ALL go back there) whatever the role or database settings say; empty: not sent.
   */
  searchPath: readonly string[];
  identity: string;
}

export function backendIdentity(b: Pick<AgentBackend, "host" | "port" | "database" | "user" | "password">, searchPath: readonly string[] = []): string {
  const passwordHash = b.password === null ? "-" : createHash("sha256").update(b.password).digest("hex").slice(0, 16);
  const path = searchPath.length === 0 ? "" : `?search_path=${searchPath.join(",")}`;
  return `${b.user}@${b.host}:${b.port}/${b.database}${path}#${passwordHash}`;
}

export function toBackendTarget(b: AgentBackend, searchPath: readonly string[] = []): BackendTarget {
  return {
    name: b.name,
    host: b.host,
    port: b.port,
    database: b.database,
    user: b.user,
    password: b.password,
    searchPath,
    identity: backendIdentity(b, searchPath),
  };
}

/** The startup parameters of a login to `target`, besides user and database. */
export function backendStartupParams(target: BackendTarget, applicationName: string): Record<string, string> {
  const params: Record<string, string> = { client_encoding: "UTF8", application_name: applicationName };
  // Names are plain lowercase identifiers (the mesh schema refuses others): no quoting needed in the value.
  if (target.searchPath.length > 0) params.search_path = target.searchPath.join(",");
  return params;
}
