import { pino } from "pino";
import { afterEach, expect, test } from "vitest";
import { AgentMetrics } from "../metrics";
import type { AgentConfig } from "@dbmesh/mesh";
import { buildConfig } from "../testing/config-builder";
import { StubConsole } from "../testing/stub-console";
import { waitFor } from "../testing/test-agent";
import { AgentApiClient } from "./api-client";
import { ConfigPoller } from "./poller";

const log = pino({ level: "silent" });
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function setup(token = "t") {
  const console = new StubConsole("t");
  await console.start();
  const metrics = new AgentMetrics();
  const applied: AgentConfig[] = [];
  const poller = new ConfigPoller({
    api: new AgentApiClient({ baseUrl: console.url, token, userAgent: "test" }),
    waitSeconds: 1,
    appliedRevision: () => applied.at(-1)?.revision ?? null,
    onConfig: (c) => {
      applied.push(c);
      return { applied: true } as never;
    },
    log,
    metrics,
    unauthorizedRetryMs: 50,
    random: () => 0,
  });
  stops.push(async () => {
    await poller.stop();
    await console.stop();
  });
  return { console, metrics, applied, poller };
}

const config = (revision: number) => buildConfig({ revision, virtualDatabases: [], credentials: [] });

test("applies each new revision, sends If-None-Match, long-polls in between", async () => {
  const { console, applied, poller } = await setup();
  console.publish(config(1), 1);
  poller.start();
  await waitFor(() => applied.length === 1);
  console.publish(config(2), 2);
  await waitFor(() => applied.length === 2);
  expect(applied.map((c) => c.revision)).toEqual([1, 2]);
  expect(console.configRequests.map((r) => r.ifNoneMatch)).toContain('"1"');
});

test("an invalid config is counted and skipped; the next valid one is applied", async () => {
  const { console, applied, poller, metrics } = await setup();
  console.publish({ revision: 1, nonsense: true }, 1);
  poller.start();
  await waitFor(async () => (await metrics.configErrors.get()).values.some((v) => v.labels.reason === "invalid" && v.value >= 1));
  expect(applied).toHaveLength(0);
  console.publish(config(2), 2);
  await waitFor(() => applied.length === 1, 5_000);
});

test("401 is counted as unauthorized and retried; stop() ends the loop promptly", async () => {
  const { poller, metrics } = await setup("wrong");
  poller.start();
  await waitFor(async () => (await metrics.configErrors.get()).values.some((v) => v.labels.reason === "unauthorized" && v.value >= 2));
  const started = Date.now();
  await poller.stop();
  expect(Date.now() - started).toBeLessThan(1_000);
});

test("network errors back off and never throw", async () => {
  const metrics = new AgentMetrics();
  const poller = new ConfigPoller({
    api: new AgentApiClient({ baseUrl: "http://127.0.0.1:1", token: "t", userAgent: "test" }),
    waitSeconds: 1,
    appliedRevision: () => null,
    onConfig: () => ({ applied: true }) as never,
    log,
    metrics,
    random: () => 0,
  });
  poller.start();
  await waitFor(async () => (await metrics.configErrors.get()).values.some((v) => v.labels.reason === "fetch" && v.value >= 2), 5_000);
  await poller.stop();
});
