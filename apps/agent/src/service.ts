import { readFileSync } from "node:fs";
import { createSecureContext, type SecureContext } from "node:tls";
import type { AgentConfig } from "@dbmesh/mesh";
import type { Logger } from "pino";
import { Agent } from "./agent";
import { AuditPipeline } from "./audit/audit-pipeline";
import { AuditPostThread } from "./audit/post-thread";
import { AgentApiClient } from "./config/api-client";
import { HeartbeatSender } from "./config/heartbeat";
import { loadConfigFile, loadLastKnownGood, saveLastKnownGood } from "./config/last-known-good";
import { ConfigPoller } from "./config/poller";
import { useDirectWrites } from "./net/socket-writer";
import type { AgentEnv } from "./env";
import type { ApplyOutcome } from "./runtime";
import { AGENT_VERSION } from "./version";

// The agent as a service: where its configs come from and where they go. On start it serves at once from the
// last-known-good file (or the static file), then keeps current by long-polling the console and saves each
// applied config back to disk. Without DBMESH_API_URL the static file is the only source (SIGHUP re-reads it).

export interface AgentService {
  agent: Agent;
  /** Re-reads DBMESH_AGENT_CONFIG_FILE (SIGHUP). */
  reloadConfigFile(): Promise<void>;
  stop(): Promise<void>;
}

export async function startAgentService(env: AgentEnv, log: Logger): Promise<AgentService> {
  useDirectWrites(env.DBMESH_AGENT_DIRECT_WRITES === "on");
  const stateDir = env.DBMESH_AGENT_STATE_DIR;
  const apiUrl = env.DBMESH_API_URL;
  const apiOptions =
    apiUrl === undefined ? null : { baseUrl: apiUrl, token: env.DBMESH_AGENT_TOKEN ?? "", userAgent: `dbmesh-agent/${AGENT_VERSION} (${env.DBMESH_AGENT_NAME})` };
  const api = apiOptions === null ? null : new AgentApiClient(apiOptions);
  // Audit batches go from a thread of their own (see audit/post-thread.ts).
  const auditPoster = apiOptions === null ? null : new AuditPostThread(apiOptions, log);
  // SQL audit events go to the console; without one there is nowhere to ship them, so nothing is recorded.
  const audit =
    api === null
      ? null
      : new AuditPipeline({
          stateDir,
          maxSpoolBytes: env.DBMESH_AGENT_AUDIT_SPOOL_MAX_BYTES,
          maxBufferedEvents: env.DBMESH_AGENT_AUDIT_BUFFER_EVENTS,
          batchMs: env.DBMESH_AGENT_AUDIT_BATCH_MS,
          spoolMode: env.DBMESH_AGENT_AUDIT_SPOOL,
          post: (body, signal) => (auditPoster as AuditPostThread).post(body, signal),
          log,
        });
  if (audit === null) log.info("SQL audit is off: it needs a console (DBMESH_API_URL) to send events to");
  const agent = new Agent({
    log,
    listen: env.DBMESH_AGENT_LISTEN,
    metricsListen: env.DBMESH_AGENT_METRICS_LISTEN,
    tls: loadTls(env),
    maxMessageBytes: env.DBMESH_AGENT_MAX_MESSAGE_BYTES,
    shutdownTimeoutMs: env.DBMESH_AGENT_SHUTDOWN_TIMEOUT_MS,
    connectTimeoutMs: env.DBMESH_AGENT_CONNECT_TIMEOUT_MS,
    healthCheck: { intervalMs: env.DBMESH_AGENT_HEALTH_INTERVAL_MS, timeoutMs: env.DBMESH_AGENT_HEALTH_TIMEOUT_MS },
    breaker: { failureThreshold: env.DBMESH_AGENT_BREAKER_FAILURES, openMs: env.DBMESH_AGENT_BREAKER_OPEN_MS },
    audit,
  });

  let heartbeat: HeartbeatSender | null = null;
  const apply = (config: AgentConfig, source: string): ApplyOutcome => {
    const outcome = agent.applyConfig(config);
    if (outcome.applied) {
      log.info({ revision: config.revision, source }, "serving configuration");
      if (apiUrl !== undefined) {
        saveLastKnownGood(stateDir, config).catch((err: unknown) =>
          log.error({ err, stateDir }, "could not save the last-known-good config: a restart without the console would not serve it"),
        );
        void heartbeat?.sendNow();
      }
    }
    return outcome;
  };

  // Serve something at once, before the first poll answers.
  if (apiUrl !== undefined) {
    const saved = await loadLastKnownGood(stateDir);
    if (saved.problem !== null) log.warn({ problem: saved.problem }, "ignoring the last-known-good config");
    if (saved.config !== null) {
      agent.applyConfig(saved.config);
      log.info({ revision: saved.config.revision, stateDir }, "serving the last-known-good config until the console answers");
    }
  }
  if (agent.runtime.current === null && env.DBMESH_AGENT_CONFIG_FILE !== undefined) {
    const config = await loadConfigFile(env.DBMESH_AGENT_CONFIG_FILE);
    agent.applyConfig(config);
    log.info({ revision: config.revision, file: env.DBMESH_AGENT_CONFIG_FILE }, "serving the static config file");
  }

  const address = await agent.start();

  let poller: ConfigPoller | null = null;
  if (api !== null) {
    poller = new ConfigPoller({
      api,
      waitSeconds: env.DBMESH_AGENT_POLL_WAIT_SECONDS,
      appliedRevision: () => agent.runtime.current?.revision ?? null,
      onConfig: (config) => apply(config, "console"),
      log,
      metrics: agent.metrics,
    });
    heartbeat = new HeartbeatSender({
      api,
      agent,
      name: env.DBMESH_AGENT_NAME,
      address: `${address.address}:${address.port}`,
      audit,
      log,
      onNewerRevision: () => poller?.wake(),
    });
    poller.start();
    heartbeat.start();
    // An alarm should not wait for the next beat. Deferred: it is raised on the hot path.
    audit?.onAlarm(() => setImmediate(() => void heartbeat?.sendNow()));
  } else if (agent.runtime.current === null) {
    log.warn("no configuration: clients are refused until one is applied");
  }

  return {
    agent,
    async reloadConfigFile() {
      if (env.DBMESH_AGENT_CONFIG_FILE === undefined) return;
      try {
        apply(await loadConfigFile(env.DBMESH_AGENT_CONFIG_FILE), "file");
      } catch (err) {
        agent.metrics.configErrors.inc({ reason: "invalid" });
        log.error({ err: (err as Error).message }, "config file reload failed: keeping the current config");
      }
    },
    async stop() {
      heartbeat?.stop();
      await poller?.stop();
      await agent.stop();
      await auditPoster?.close();
      api?.close();
    },
  };
}

function loadTls(env: AgentEnv): SecureContext | null {
  const certFile = env.DBMESH_AGENT_TLS_CERT_FILE;
  const keyFile = env.DBMESH_AGENT_TLS_KEY_FILE;
  if (certFile === undefined || keyFile === undefined) return null;
  try {
    return createSecureContext({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: "TLSv1.2" });
  } catch (err) {
    throw new Error(`DBMESH_AGENT_TLS_CERT_FILE/DBMESH_AGENT_TLS_KEY_FILE cannot be loaded: ${(err as Error).message}`);
  }
}
