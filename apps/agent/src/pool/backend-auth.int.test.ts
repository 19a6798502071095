import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Agent } from "../agent";
import { buildConfig } from "../testing/config-builder";
import { canRunScratchCluster, type ScratchCluster, startScratchCluster } from "../testing/scratch-cluster";
import { clientFor, connectClient, startTestAgent } from "../testing/test-agent";

// The agent logs in to real backends with each password method PostgreSQL offers. The shared local server
// trusts everyone, so this file starts its own small cluster with a strict pg_hba.conf.

let cluster: ScratchCluster;
let agent: Agent;

describe.skipIf(!canRunScratchCluster())("backend authentication", () => {
  beforeAll(async () => {
    cluster = await startScratchCluster([
      "host all postgres 127.0.0.1/32 trust",
      "host all scram_user 127.0.0.1/32 scram-sha-256",
      "host all md5_user 127.0.0.1/32 md5",
      "host all clear_user 127.0.0.1/32 password",
    ]);
    cluster.sql("SET password_encryption = 'scram-sha-256'; CREATE ROLE scram_user LOGIN PASSWORD 'scram-pw'");
    cluster.sql("SET password_encryption = 'md5'; CREATE ROLE md5_user LOGIN PASSWORD 'md5-pw'");
    cluster.sql("CREATE ROLE clear_user LOGIN PASSWORD 'clear-pw'");
    const backend = (name: string, user: string, password: string | null) => ({
      name,
      backends: [{ name: `${name}-backend`, database: "postgres", port: cluster.port, user, password }],
    });
    agent = await startTestAgent(
      buildConfig({
        virtualDatabases: [
          backend("via_scram", "scram_user", "scram-pw"),
          backend("via_md5", "md5_user", "md5-pw"),
          backend("via_clear", "clear_user", "clear-pw"),
          backend("via_trust", "postgres", null),
          backend("wrong_pw", "scram_user", "not-it"),
          backend("no_pw", "md5_user", null),
        ],
        credentials: [
          { name: "app", password: "client-pw", virtualDatabases: ["via_scram", "via_md5", "via_clear", "via_trust", "wrong_pw", "no_pw"] },
        ],
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    cluster?.stop();
  });

  for (const [vdb, user] of [
    ["via_scram", "scram_user"],
    ["via_md5", "md5_user"],
    ["via_clear", "clear_user"],
    ["via_trust", "postgres"],
  ] as const) {
    test(`${vdb}: the agent logs in as ${user}; the client never needs that password`, async () => {
      const c = await connectClient(agent, { user: "app", password: "client-pw", database: vdb });
      try {
        expect((await c.query("select current_user as u")).rows[0].u).toBe(user);
      } finally {
        await c.end();
      }
    });
  }

  test("a wrong backend password: the client gets 08006 with the backend's reason, not 28P01", async () => {
    const c = clientFor(agent, { user: "app", password: "client-pw", database: "wrong_pw" });
    c.on("error", () => {});
    const err = (await c.connect().catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe("08006");
    expect(err.message).toMatch(/could not connect to backend wrong_pw-backend of virtual database wrong_pw .*password authentication failed for user "scram_user"/);
  });

  test("a backend asking for a password the endpoint does not have: a clear error", async () => {
    const c = clientFor(agent, { user: "app", password: "client-pw", database: "no_pw" });
    c.on("error", () => {});
    const err = (await c.connect().catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe("08006");
    expect(err.message).toMatch(/asks for a password \(md5\) but the endpoint has none configured/);
  });
});
