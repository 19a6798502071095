import { createHash } from "node:crypto";
import type { AgentBackend } from "@dbmesh/mesh";

// A backend as the pools see it. Two configs that name the same host, port, database, user and password
// describe the same servers, so their identity key is equal and the pool survives the config swap. The
// password enters the key only as a hash, so keys can be logged.

export interface BackendTarget {
  /** Endpoint name in the config (for messages and metrics). */
  name: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | null;
  identity: string;
}

export function backendIdentity(b: Pick<AgentBackend, "host" | "port" | "database" | "user" | "password">): string {
  const passwordHash = b.password === null ? "-" : createHash("sha256").update(b.password).digest("hex").slice(0, 16);
  return `${b.user}@${b.host}:${b.port}/${b.database}#${passwordHash}`;
}

export function toBackendTarget(b: AgentBackend): BackendTarget {
  return { name: b.name, host: b.host, port: b.port, database: b.database, user: b.user, password: b.password, identity: backendIdentity(b) };
}
