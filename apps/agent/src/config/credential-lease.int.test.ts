import { AgentConfig } from "@dbmesh/mesh";
import type pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Agent } from "../agent";
import { createScramVerifier } from "../pg/scram-verifier";
import { buildConfig, type TestVirtualDatabase } from "../testing/config-builder";
import { createScratchDatabase } from "../testing/postgres";
import { connectClient, startTestAgent, waitFor } from "../testing/test-agent";

// Self-service credentials on the wire: a lease the agent checks on its own clock, revocation that says why
// (only to a client that knew the password) and closes open sessions, and a rotation grace in which a
// proof made with either password is accepted, then only the new one.

const DB = "agent_lease_it";
const vdb: TestVirtualDatabase = { name: "leased", backends: [{ name: "pg-main", database: DB }] };
const salt = Buffer.from("0123456789abcdef");
let agent: Agent;
let db: { drop(): Promise<void> };
let revision = 1;

type Extra = { expiresAt?: string | null; revoked?: boolean; previousScramVerifier?: string | null; previousValidUntil?: string | null };

function config(credentials: ({ name: string; password: string; verifier?: string } & Extra)[]) {
  const base = buildConfig({ revision: revision++, virtualDatabases: [vdb], credentials: credentials.map((c) => ({ name: c.name, password: c.password, scramVerifier: c.verifier, virtualDatabases: ["leased"] })) });
  return AgentConfig.parse({
    ...base,
    credentials: base.credentials.map((c, i) => {
      const { name: _n, password: _p, verifier: _v, ...extra } = credentials[i]!;
      return { ...c, ...extra };
    }),
  });
}

async function refusal(user: string, password: string): Promise<{ code?: string; message: string }> {
  try {
    const c = await connectClient(agent, { user, password, database: "leased" });
    await c.end();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error(`${user} was let in`);
}

beforeAll(async () => {
  db = await createScratchDatabase(DB);
  agent = await startTestAgent(config([{ name: "app", password: "pw-app" }]));
});

afterAll(async () => {
  await agent?.stop();
  await db?.drop();
});

test("an expired lease is refused with 28P01 naming the lease; a running one works", async () => {
  agent.applyConfig(
    config([
      { name: "expired", password: "pw-expired", expiresAt: new Date(Date.now() - 1000).toISOString() },
      { name: "running", password: "pw-running", expiresAt: new Date(Date.now() + 3600_000).toISOString() },
    ]),
  );
  const e = await refusal("expired", "pw-expired");
  expect(e.code).toBe("28P01");
  expect(e.message).toMatch(/lease of credential "expired" expired/);
  // A wrong password learns nothing about the lease.
  expect((await refusal("expired", "nope")).message).toBe('password authentication failed for user "expired"');
  const ok = await connectClient(agent, { user: "running", password: "pw-running", database: "leased" });
  await ok.end();
});

test("an open session is closed when its lease ends, with no new config", async () => {
  agent.applyConfig(config([{ name: "short", password: "pw-short", expiresAt: new Date(Date.now() + 1200).toISOString() }]));
  const open = await connectClient(agent, { user: "short", password: "pw-short", database: "leased" });
  const closed = new Promise<Error>((r) => open.once("error", r));
  const err = await closed;
  expect(err.message).toMatch(/lease of credential "short" expired/);
  expect((await refusal("short", "pw-short")).code).toBe("28P01");
});

test("revocation: new connections get 28P01 saying so, open sessions are closed", async () => {
  agent.applyConfig(config([{ name: "app", password: "pw-app" }]));
  const open: pg.Client = await connectClient(agent, { user: "app", password: "pw-app", database: "leased" });
  const closed = new Promise<Error>((r) => open.once("error", r));
  agent.applyConfig(config([{ name: "app", password: "pw-app", revoked: true }]));
  const err = await closed;
  expect(err.message).toMatch(/credential "app" was revoked/);
  const e = await refusal("app", "pw-app");
  expect(e).toMatchObject({ code: "28P01" });
  expect(e.message).toMatch(/was revoked/);
});

test("rotation grace: both passwords until previousValidUntil (on the agent's clock), then only the new", async () => {
  const previous = createScramVerifier("pw-old", { salt });
  const current = createScramVerifier("pw-new", { salt });
  agent.applyConfig(
    config([{ name: "rot", password: "pw-new", verifier: current, previousScramVerifier: previous, previousValidUntil: new Date(Date.now() + 1500).toISOString() }]),
  );
  for (const password of ["pw-old", "pw-new"]) {
    const c = await connectClient(agent, { user: "rot", password, database: "leased" });
    expect((await c.query("SELECT 1 AS one")).rows[0].one).toBe(1);
    await c.end();
  }
  await waitFor(async () => (await refusal("rot", "pw-old").catch(() => ({ code: "let in" }))).code === "28P01", 5_000, "the old password to stop working");
  const c = await connectClient(agent, { user: "rot", password: "pw-new", database: "leased" });
  await c.end();
});

test("a previous verifier with another salt is ignored: only the new password works", async () => {
  agent.applyConfig(
    config([
      {
        name: "salty",
        password: "pw-new",
        verifier: createScramVerifier("pw-new", { salt }),
        previousScramVerifier: createScramVerifier("pw-old", { salt: Buffer.from("another-salt-16b") }),
        previousValidUntil: new Date(Date.now() + 60_000).toISOString(),
      },
    ]),
  );
  expect((await refusal("salty", "pw-old")).code).toBe("28P01");
  const c = await connectClient(agent, { user: "salty", password: "pw-new", database: "leased" });
  await c.end();
});
