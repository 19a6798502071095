import { pino } from "pino";
import { parseAgentEnv, type AgentEnv } from "./env";
import { startAgentService } from "./service";

let env: AgentEnv;
try {
  env = parseAgentEnv(process.env);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}

// Configs carry backend passwords; tokens are secrets too. Never let them reach a log line.
const log = pino({
  name: "dbmesh-agent",
  level: env.LOG_LEVEL,
  redact: {
    paths: ["token", "*.token", "password", "*.password", "*.*.password", "backends[*].password", "config", "*.config", "authorization"],
    censor: "[redacted]",
  },
});

// A client can never crash the agent by design; this is the last line for bugs, not the error handling.
process.on("uncaughtException", (err) => log.fatal({ err }, "uncaught exception: a bug in the agent"));
process.on("unhandledRejection", (err) => log.error({ err }, "unhandled rejection: a bug in the agent"));

try {
  const service = await startAgentService(env, log);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, "stopping");
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.on("SIGHUP", () => void service.reloadConfigFile());
  // Measurement only (bench:memory starts the agent with --expose-gc): a full GC on SIGUSR2, so that resident
  // memory is read without garbage that happens not to be collected yet. Production never exposes gc().
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") process.on("SIGUSR2", () => gc());
} catch (err) {
  log.fatal({ err: err instanceof Error ? err.message : err }, "agent failed to start");
  process.exit(1);
}
