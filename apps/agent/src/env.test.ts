import { describe, expect, test } from "vitest";
import { parseAgentEnv } from "./env";

const base = { DBMESH_API_URL: "http://127.0.0.1:3000", DBMESH_AGENT_TOKEN: "dbmag_x" };

describe("parseAgentEnv", () => {
  test("defaults", () => {
    const env = parseAgentEnv(base);
    expect(env.DBMESH_AGENT_LISTEN).toEqual({ host: "127.0.0.1", port: 6432 });
    expect(env.DBMESH_AGENT_METRICS_LISTEN).toEqual({ host: "127.0.0.1", port: 9187 });
    expect(env.DBMESH_AGENT_STATE_DIR).toBe(".dbmesh/agent");
    expect(env.DBMESH_AGENT_MAX_MESSAGE_BYTES).toBe(64 * 1024 * 1024);
    expect(env.DBMESH_AGENT_SHUTDOWN_TIMEOUT_MS).toBe(30_000);
    expect(env.DBMESH_AGENT_BREAKER_FAILURES).toBe(3);
    expect(env.DBMESH_AGENT_BREAKER_OPEN_MS).toBe(5_000);
    expect(env.DBMESH_AGENT_DIRECT_WRITES).toBe("on");
  });

  test("direct socket writes can be turned off, and only with on/off", () => {
    expect(parseAgentEnv({ ...base, DBMESH_AGENT_DIRECT_WRITES: "off" }).DBMESH_AGENT_DIRECT_WRITES).toBe("off");
    expect(() => parseAgentEnv({ ...base, DBMESH_AGENT_DIRECT_WRITES: "no" })).toThrow(/DBMESH_AGENT_DIRECT_WRITES must be "on" or "off"/);
  });

  test("the circuit breaker is tunable", () => {
    const env = parseAgentEnv({ ...base, DBMESH_AGENT_BREAKER_FAILURES: "1", DBMESH_AGENT_BREAKER_OPEN_MS: "30000" });
    expect([env.DBMESH_AGENT_BREAKER_FAILURES, env.DBMESH_AGENT_BREAKER_OPEN_MS]).toEqual([1, 30_000]);
  });

  test("a static config file alone is enough; IPv6 listen and metrics off parse", () => {
    const env = parseAgentEnv({ DBMESH_AGENT_CONFIG_FILE: "/etc/agent.json", DBMESH_AGENT_LISTEN: "[::1]:7000", DBMESH_AGENT_METRICS_LISTEN: "off" });
    expect(env.DBMESH_API_URL).toBeUndefined();
    expect(env.DBMESH_AGENT_LISTEN).toEqual({ host: "::1", port: 7000 });
    expect(env.DBMESH_AGENT_METRICS_LISTEN).toBeNull();
  });

  test.each([
    [{}, /DBMESH_API_URL.*DBMESH_AGENT_CONFIG_FILE/],
    [{ DBMESH_API_URL: "http://x" }, /DBMESH_AGENT_TOKEN is required/],
    [{ ...base, DBMESH_API_URL: "not a url" }, /DBMESH_API_URL must be the console's base URL/],
    [{ ...base, DBMESH_AGENT_LISTEN: "6432" }, /DBMESH_AGENT_LISTEN must be host:port/],
    [{ ...base, DBMESH_AGENT_LISTEN: "h:70000" }, /DBMESH_AGENT_LISTEN must be host:port/],
    [{ ...base, DBMESH_AGENT_TLS_CERT_FILE: "/c.pem" }, /DBMESH_AGENT_TLS_CERT_FILE and DBMESH_AGENT_TLS_KEY_FILE go together/],
    [{ ...base, DBMESH_AGENT_MAX_MESSAGE_BYTES: String(2 ** 31) }, /at most 1 GiB/],
    [{ ...base, DBMESH_AGENT_SHUTDOWN_TIMEOUT_MS: "soon" }, /DBMESH_AGENT_SHUTDOWN_TIMEOUT_MS must be a number/],
    [{ ...base, DBMESH_AGENT_BREAKER_FAILURES: "0" }, /DBMESH_AGENT_BREAKER_FAILURES must be at least 1/],
  ])("%j fails naming the variable", (source, message) => {
    expect(() => parseAgentEnv(source)).toThrow(message);
  });
});
