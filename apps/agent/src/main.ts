import { pino } from "pino";
import { parseAgentEnv, type AgentEnv } from "./env";

let env: AgentEnv;
try {
  env = parseAgentEnv(process.env);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}

const log = pino({
  name: "dbmesh-agent",
  level: env.LOG_LEVEL,
  redact: { paths: ["token", "*.token"], censor: "[redacted]" },
});

const configUrl = new URL("/api/agent/v1/config", env.DBMESH_API_URL).toString();

// Honest placeholder: the PostgreSQL proxy and the config protocol come in later issues. This
// process only proves that the agent boots, reads its environment and stops cleanly.
log.info(
  { agent: env.DBMESH_AGENT_NAME, configUrl, tokenConfigured: env.DBMESH_AGENT_TOKEN !== undefined },
  "agent started: it will long-poll GET /api/agent/v1/config once the agent protocol exists",
);
log.warn("proxy not implemented yet: this agent accepts no client connections and polls nothing");

// Nothing else holds the event loop open yet; this timer keeps the process alive until a signal.
const keepAlive = setInterval(() => {}, 60 * 60 * 1000);

function stop(signal: NodeJS.Signals): void {
  log.info({ signal }, "agent stopped");
  clearInterval(keepAlive);
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
