import { pino } from "pino";
import { describe, expect, test } from "vitest";
import { AgentMetrics } from "./metrics";
import { AgentRuntime, type LiveSession } from "./runtime";
import { buildConfig } from "./testing/config-builder";

function runtime() {
  return new AgentRuntime({ log: pino({ level: "silent" }), metrics: new AgentMetrics(), connect: { connectTimeoutMs: 1000, applicationName: "t" }, healthCheck: null });
}

const cfg = (revision: number, backends: { name: string; database: string; role?: "PRIMARY" | "REPLICA"; password?: string }[], extra = {}) =>
  buildConfig({
    revision,
    virtualDatabases: [{ name: "v", backends, ...extra }],
    credentials: [{ name: "c", password: "pw", virtualDatabases: ["v"] }],
  });

function fakeSession(rt: AgentRuntime): LiveSession & { closedWith: string[] } {
  const snapshot = rt.current;
  if (snapshot === null) throw new Error("no snapshot");
  const s = {
    snapshot,
    virtualDatabase: "v",
    closedWith: [] as string[],
    onConfigApplied: () => {},
    beginShutdown: () => {},
    forceClose: (reason: string) => s.closedWith.push(reason),
  };
  return s;
}

describe("AgentRuntime", () => {
  test("splits backends by role and parses credentials", () => {
    const rt = runtime();
    rt.apply(cfg(1, [{ name: "p", database: "a" }, { name: "r", database: "b", role: "REPLICA" }]));
    const vdb = rt.current?.virtualDatabases.get("v");
    expect(vdb?.primaries.map((b) => b.name)).toEqual(["p"]);
    expect(vdb?.replicas.map((b) => b.name)).toEqual(["r"]);
    expect(rt.current?.credentials.get("c")?.verifier.iterations).toBe(4096);
    rt.stop(true);
  });

  test("an unchanged backend keeps its pool; a changed password means a new pool; old pools close when unused", () => {
    const rt = runtime();
    rt.apply(cfg(1, [{ name: "p", database: "a", password: "one" }]));
    const pool1 = rt.current?.virtualDatabases.get("v")?.primaries[0]?.pool;
    rt.apply(cfg(2, [{ name: "p-renamed", database: "a", password: "one" }], { strategy: { connectionPool: { maxSize: 3 } } }));
    const pool2 = rt.current?.virtualDatabases.get("v")?.primaries[0]?.pool;
    expect(pool2).toBe(pool1);
    expect(pool2?.settings.maxSize).toBe(3);

    const session = fakeSession(rt);
    rt.sessionStarted(session);
    rt.apply(cfg(3, [{ name: "p", database: "a", password: "two" }]));
    const pool3 = rt.current?.virtualDatabases.get("v")?.primaries[0]?.pool;
    expect(pool3).not.toBe(pool1);
    // The old pool lives while a session of revision 2 does.
    expect(pool1?.closed).toBe(false);
    rt.sessionEnded(session);
    expect(pool1?.closed).toBe(true);
    expect([...rt.pools.values()]).toEqual([pool3]);
    rt.stop(true);
  });

  test("the same revision and digest is not applied twice; an older revision is refused", () => {
    const rt = runtime();
    const c = cfg(5, [{ name: "p", database: "a" }]);
    expect(rt.apply(c).applied).toBe(true);
    expect(rt.apply(c)).toEqual({ applied: false, reason: "unchanged" });
    expect(rt.apply(cfg(4, [{ name: "p", database: "a" }]))).toEqual({ applied: false, reason: "stale" });
    rt.stop(true);
  });
});
