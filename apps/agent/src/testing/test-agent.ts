import type { AgentConfig } from "@dbmesh/mesh";
import { pino } from "pino";
import pg from "pg";
import { Agent, type AgentOptions } from "../agent";

// An agent in the test process, on an ephemeral port, serving a static config.

export async function startTestAgent(config: AgentConfig | null, overrides: Partial<AgentOptions> = {}): Promise<Agent> {
  const agent = new Agent({
    log: pino({ level: process.env.AGENT_TEST_LOG ?? "silent" }),
    listen: { host: "127.0.0.1", port: 0 },
    metricsListen: null,
    tls: null,
    maxMessageBytes: 64 * 1024 * 1024,
    shutdownTimeoutMs: 2_000,
    connectTimeoutMs: 3_000,
    healthCheck: null,
    ...overrides,
  });
  if (config !== null) agent.applyConfig(config);
  await agent.start();
  return agent;
}

export function clientFor(agent: Agent, opts: { user: string; password: string; database: string }): pg.Client {
  const port = agent.address?.port;
  if (port === undefined) throw new Error("agent is not listening");
  return new pg.Client({ host: "127.0.0.1", port, ...opts });
}

export async function connectClient(agent: Agent, opts: { user: string; password: string; database: string }): Promise<pg.Client> {
  const client = clientFor(agent, opts);
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** Polls until `condition` holds (or fails after `timeoutMs`). */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
