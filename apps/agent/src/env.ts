import { hostname } from "node:os";
import { z } from "zod";

const LogLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

export interface ListenAddress {
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port`; port 0 picks a free port (tests). */
function listenAddress(variable: string, fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((value, ctx): ListenAddress => {
      const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
      const port = m === null ? NaN : Number(m[3]);
      if (m === null || port > 65535) {
        ctx.addIssue({ code: "custom", message: `${variable} must be host:port (e.g. ${fallback}), got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      return { host: (m[1] ?? m[2]) as string, port };
    });
}

function milliseconds(variable: string, fallback: number, max: number) {
  return z.coerce
    .number({ error: `${variable} must be a number of milliseconds` })
    .int(`${variable} must be a whole number of milliseconds`)
    .min(0, `${variable} cannot be negative`)
    .max(max, `${variable} must be at most ${max}`)
    .default(fallback);
}

const optionalPath = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const AgentEnv = z
  .object({
    /** Base URL of the control plane (apps/web). Without it the agent serves DBMESH_AGENT_CONFIG_FILE alone. */
    DBMESH_API_URL: z
      .url({ error: "DBMESH_API_URL must be the console's base URL, e.g. http://127.0.0.1:3000" })
      .optional()
      .or(z.literal("").transform(() => undefined)),
    /** Bearer token the console issues for this agent (Settings → agent tokens). */
    DBMESH_AGENT_TOKEN: z.string().min(1).optional(),
    /** How this agent names itself in heartbeats; defaults to the host name. */
    DBMESH_AGENT_NAME: z.string().min(1).default(hostname()),
    /** Where applications connect (PostgreSQL protocol). */
    DBMESH_AGENT_LISTEN: listenAddress("DBMESH_AGENT_LISTEN", "127.0.0.1:6432"),
    /** /metrics, /healthz and /readyz; "off" disables the HTTP listener. */
    DBMESH_AGENT_METRICS_LISTEN: z
      .string()
      .default("127.0.0.1:9187")
      .transform((v, ctx): ListenAddress | null => {
        if (v.trim() === "off") return null;
        const parsed = listenAddress("DBMESH_AGENT_METRICS_LISTEN", "127.0.0.1:9187").safeParse(v);
        if (!parsed.success) {
          ctx.addIssue({ code: "custom", message: "DBMESH_AGENT_METRICS_LISTEN must be host:port or off" });
          return z.NEVER;
        }
        return parsed.data;
      }),
    /** The last-known-good config lives here (mode 0600): the agent serves it when the console is unreachable. */
    DBMESH_AGENT_STATE_DIR: z.string().trim().min(1).default(".dbmesh/agent"),
    /** A static AgentConfig JSON file: the config when there is no console, the first one when there is. */
    DBMESH_AGENT_CONFIG_FILE: optionalPath,
    /** PEM certificate and key: clients asking for SSL get TLS. Both or neither. */
    DBMESH_AGENT_TLS_CERT_FILE: optionalPath,
    DBMESH_AGENT_TLS_KEY_FILE: optionalPath,
    /** On SIGTERM/SIGINT, how long open transactions may run before connections are cut. */
    DBMESH_AGENT_SHUTDOWN_TIMEOUT_MS: milliseconds("DBMESH_AGENT_SHUTDOWN_TIMEOUT_MS", 30_000, 3_600_000),
    /** Largest client message accepted after startup; bigger ones close that client with 08P01. */
    DBMESH_AGENT_MAX_MESSAGE_BYTES: z.coerce
      .number({ error: "DBMESH_AGENT_MAX_MESSAGE_BYTES must be a number of bytes" })
      .int()
      .min(1024, "DBMESH_AGENT_MAX_MESSAGE_BYTES must be at least 1024")
      .max(1 << 30, "DBMESH_AGENT_MAX_MESSAGE_BYTES must be at most 1 GiB (PostgreSQL's own limit)")
      .default(64 * 1024 * 1024),
    DBMESH_AGENT_CONNECT_TIMEOUT_MS: milliseconds("DBMESH_AGENT_CONNECT_TIMEOUT_MS", 5_000, 600_000),
    DBMESH_AGENT_HEALTH_INTERVAL_MS: milliseconds("DBMESH_AGENT_HEALTH_INTERVAL_MS", 5_000, 3_600_000),
    DBMESH_AGENT_HEALTH_TIMEOUT_MS: milliseconds("DBMESH_AGENT_HEALTH_TIMEOUT_MS", 3_000, 600_000),
    /** Circuit breaker: failed checks or connection attempts in a row that eject a backend. */
    DBMESH_AGENT_BREAKER_FAILURES: z.coerce
      .number({ error: "DBMESH_AGENT_BREAKER_FAILURES must be a number" })
      .int("DBMESH_AGENT_BREAKER_FAILURES must be a whole number")
      .min(1, "DBMESH_AGENT_BREAKER_FAILURES must be at least 1")
      .max(100, "DBMESH_AGENT_BREAKER_FAILURES must be at most 100")
      .default(3),
    /** Circuit breaker: how long an ejected backend is left alone before one trial (half open). */
    DBMESH_AGENT_BREAKER_OPEN_MS: milliseconds("DBMESH_AGENT_BREAKER_OPEN_MS", 5_000, 600_000),
    /** SQL audit: unacknowledged events kept on disk at most (`<state dir>/audit`); beyond it new events are dropped and counted. */
    DBMESH_AGENT_AUDIT_SPOOL_MAX_BYTES: z.coerce
      .number({ error: "DBMESH_AGENT_AUDIT_SPOOL_MAX_BYTES must be a number of bytes" })
      .int()
      .min(4096, "DBMESH_AGENT_AUDIT_SPOOL_MAX_BYTES must be at least 4096")
      .default(256 * 1024 * 1024),
    /** SQL audit: events held in memory between two writes to the spool (one event-loop turn). */
    DBMESH_AGENT_AUDIT_BUFFER_EVENTS: z.coerce.number().int().min(100).max(10_000_000).default(100_000),
    /**
     * SQL audit: 0 (default) holds each result until its event is written to the spool (a kill -9 loses none);
     * N > 0 writes every N ms without holding results (cheaper; a kill -9 may lose the last N ms of events).
     */
    DBMESH_AGENT_AUDIT_BATCH_MS: milliseconds("DBMESH_AGENT_AUDIT_BATCH_MS", 0, 1_000),
    /**
     * SQL audit: how events reach the spool file. `mmap`: copied into a shared mapping of the segment (in the page
     * cache at once, so nothing is held and DBMESH_AGENT_AUDIT_BATCH_MS does not apply); needs the addon built by
     * apps/agent/native/build.mjs. `write`: write(2) per event-loop turn. `auto` (default): mmap when built.
     */
    DBMESH_AGENT_AUDIT_SPOOL: z.enum(["auto", "mmap", "write"], { error: 'DBMESH_AGENT_AUDIT_SPOOL must be "auto", "mmap" or "write"' }).default("auto"),
    /** "off": every socket write goes through Node's Writable instead of straight to the handle (net/socket-writer.ts). */
    DBMESH_AGENT_DIRECT_WRITES: z.enum(["on", "off"], { error: 'DBMESH_AGENT_DIRECT_WRITES must be "on" or "off"' }).default("on"),
    /** How long one config long-poll may be held by the console (PROTOCOL.md: at most 60). */
    DBMESH_AGENT_POLL_WAIT_SECONDS: z.coerce.number().int().min(1).max(60).default(30),
    LOG_LEVEL: LogLevel.default("info"),
  })
  .superRefine((env, ctx) => {
    if (env.DBMESH_API_URL === undefined && env.DBMESH_AGENT_CONFIG_FILE === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["DBMESH_API_URL"],
        message: "set DBMESH_API_URL (the console) or DBMESH_AGENT_CONFIG_FILE (a static config), or both",
      });
    }
    if (env.DBMESH_API_URL !== undefined && env.DBMESH_AGENT_TOKEN === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["DBMESH_AGENT_TOKEN"],
        message: "DBMESH_AGENT_TOKEN is required with DBMESH_API_URL (create one in Settings → agent tokens)",
      });
    }
    if ((env.DBMESH_AGENT_TLS_CERT_FILE === undefined) !== (env.DBMESH_AGENT_TLS_KEY_FILE === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [env.DBMESH_AGENT_TLS_CERT_FILE === undefined ? "DBMESH_AGENT_TLS_CERT_FILE" : "DBMESH_AGENT_TLS_KEY_FILE"],
        message: "DBMESH_AGENT_TLS_CERT_FILE and DBMESH_AGENT_TLS_KEY_FILE go together: set both or neither",
      });
    }
  });
export type AgentEnv = z.infer<typeof AgentEnv>;

/** Parsed once at boot; a bad variable fails with a message that names it. */
export function parseAgentEnv(source: Record<string, string | undefined>): AgentEnv {
  const parsed = AgentEnv.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const path = i.path.join(".");
      return i.message.includes(path) || path === "" ? i.message : `${path}: ${i.message}`;
    });
    throw new Error(`dbmesh agent configuration is invalid:\n  ${lines.join("\n  ")}`);
  }
  return parsed.data;
}
