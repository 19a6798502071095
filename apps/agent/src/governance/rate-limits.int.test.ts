import { afterAll, beforeAll, expect, test } from "vitest";
import type { Agent } from "../agent";
import { buildConfig } from "../testing/config-builder";
import { connectClient, startTestAgent } from "../testing/test-agent";

// Statements per second per credential and per virtual database, through the agent with the real pg driver: past
// the rate a statement gets 53400 with a message naming the limit, at once (no queueing), and the session goes on.
// Transaction control (BEGIN, COMMIT, ROLLBACK …) is not counted.

const creds = (user: string) => ({ user, password: "pw-rate", database: user.startsWith("per_db") ? "rate_db" : "rate_cred" });
let agent: Agent;

beforeAll(async () => {
  agent = await startTestAgent(
    buildConfig({
      virtualDatabases: [
        { name: "rate_cred", backends: [{ name: "pg", database: "postgres" }], rateLimits: { perCredentialPerSecond: 5 } },
        { name: "rate_db", backends: [{ name: "pg", database: "postgres" }], rateLimits: { perDatabasePerSecond: 6 } },
      ],
      credentials: [
        { name: "alice", password: "pw-rate", virtualDatabases: ["rate_cred"] },
        { name: "bob", password: "pw-rate", virtualDatabases: ["rate_cred"] },
        { name: "per_db", password: "pw-rate", virtualDatabases: ["rate_db"] },
        { name: "per_db2", password: "pw-rate", virtualDatabases: ["rate_db"] },
      ],
    }),
  );
});

afterAll(() => agent?.stop());

async function burst(c: Awaited<ReturnType<typeof connectClient>>, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await c.query("SELECT 1").then(() => "ok", (e: { code?: string; message: string }) => `${e.code}: ${e.message}`));
  }
  return out;
}

test("per credential: a burst past the rate is refused with 53400; another credential is not affected; tokens come back", async () => {
  const alice = await connectClient(agent, creds("alice"));
  const bob = await connectClient(agent, creds("bob"));
  try {
    const started = performance.now();
    const a = await burst(alice, 8);
    // A burst this short (well under 1 s on any machine) refills less than one token per 200 ms.
    const refilled = Math.floor(((performance.now() - started) / 1000) * 5);
    expect(a.filter((r) => r === "ok").length).toBeLessThanOrEqual(5 + refilled);
    const refused = a.filter((r) => r !== "ok");
    expect(refused.length).toBeGreaterThanOrEqual(3 - refilled);
    expect(refused[0]).toMatch(/^53400: rate limit of virtual database "rate_cred" reached: at most 5 statements per second per credential for credential "alice"/);
    expect((await burst(bob, 3)).every((r) => r === "ok")).toBe(true);
    await new Promise((r) => setTimeout(r, 450));
    expect(await burst(alice, 1)).toEqual(["ok"]);
    // Inside a transaction the refusal aborts it, like any error.
    await new Promise((r) => setTimeout(r, 1000));
    await alice.query("BEGIN");
    const inTx = await burst(alice, 7);
    expect(inTx.some((r) => r.startsWith("53400"))).toBe(true);
    expect(inTx[inTx.length - 1]).toMatch(/^(25P02|53400)/);
    // Ending a transaction is never rate limited: a client must always be able to get out.
    await alice.query("ROLLBACK");
    expect(await burst(alice, 1)).toEqual([expect.stringMatching(/^(ok|53400)/)]);
  } finally {
    await alice.end();
    await bob.end();
  }
});

test("per virtual database: every credential shares one bucket", async () => {
  const one = await connectClient(agent, creds("per_db"));
  const two = await connectClient(agent, creds("per_db2"));
  try {
    const results = [...(await burst(one, 4)), ...(await burst(two, 4))];
    const refused = results.filter((r) => r !== "ok");
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]).toMatch(/^53400: rate limit of virtual database "rate_db" reached: at most 6 statements per second per virtual database/);
    expect(results.slice(0, 4).every((r) => r === "ok")).toBe(true);
  } finally {
    await one.end();
    await two.end();
  }
});
