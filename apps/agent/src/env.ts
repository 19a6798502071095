import { hostname } from "node:os";
import { z } from "zod";

const LogLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

const AgentEnv = z.object({
  /** Base URL of the control plane (apps/web); the agent talks to it only through /api/agent/v1/*. */
  DBMESH_API_URL: z.url({ error: "DBMESH_API_URL must be the console's base URL, e.g. http://127.0.0.1:3000" }),
  /** Bearer token the console issues for this agent (Settings → agent tokens). */
  DBMESH_AGENT_TOKEN: z.string().min(1).optional(),
  /** How this agent names itself in heartbeats; defaults to the host name. */
  DBMESH_AGENT_NAME: z.string().min(1).default(hostname()),
  LOG_LEVEL: LogLevel.default("info"),
});
export type AgentEnv = z.infer<typeof AgentEnv>;

/** Parsed once at boot; a bad variable fails with a message that names it. */
export function parseAgentEnv(source: Record<string, string | undefined>): AgentEnv {
  const parsed = AgentEnv.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`dbmesh agent configuration is invalid:\n  ${lines.join("\n  ")}`);
  }
  return parsed.data;
}
