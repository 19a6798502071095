import pino from "pino";

export const logger = pino({
  name: "dbmesh-api",
  level: process.env.LOG_LEVEL ?? "info",
  redact: { paths: ["password", "*.password", "*.passwordEnc", "token", "*.token", "connectionString"], censor: "[redacted]" },
});
export type Logger = typeof logger;
