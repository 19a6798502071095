import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, test, type Browser, type Page } from "@playwright/test";
import pg from "pg";
import { createUser, trpcMutation, uniq } from "../../fixtures/api";
import { login } from "../../fixtures/login";
import { readTestEnv, REPO_ROOT } from "../../fixtures/test-env";

// Developer self-service in a real browser, with real processes: the console under test, a worker
// (provisioning) and an agent (apps/agent) started here. A developer requests a database in staging, a
// DBA approves it choosing the placement, the developer copies the connection string and psql works
// through the agent; after a revoke it does not.

const run = promisify(execFile);
const SUFFIX = uniq().replace(/[^a-z0-9]/g, "");
const VDB = `e2e-sst-${SUFFIX}`;
const BACKEND = `e2e_sst_${SUFFIX}`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function startNode(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LOG_LEVEL: "warn", ...env } });
  child.stderr?.on("data", () => {});
  return child;
}

async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null) return;
  child.kill("SIGTERM");
  await new Promise<void>((r) => {
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      r();
    }, 5_000);
    child.once("exit", () => {
      clearTimeout(t);
      r();
    });
  });
}

async function signedIn(browser: Browser, user: { email: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  await login(page, user.email, user.password);
  return page;
}

async function psql(dsn: string, sql: string) {
  return run("psql", [dsn, "-v", "ON_ERROR_STOP=1", "-AtXc", sql], { timeout: 15_000 });
}

let agent: ChildProcess | undefined;
let worker: ChildProcess | undefined;
let agentId = "";
let stateDir = "";
let agentPort = 0;

test.beforeAll(async ({ request }) => {
  const env = readTestEnv();
  // A placement for staging (the seed has servers in dev only).
  await trpcMutation(request, "endpoint.create", {
    name: `e2e-sst-staging-${SUFFIX}`,
    environment: "staging",
    host: "127.0.0.1",
    port: 5432,
    database: "postgres",
    username: "postgres",
  });
  // Agents are listed by name and the console dials the first one up: "0-" sorts before the others.
  const created = await trpcMutation<{ id: string; token: string }>(request, "agent.create", { name: `0-e2e-sst-${SUFFIX}` });
  agentId = created.id;
  agentPort = await freePort();
  stateDir = mkdtempSync(join(tmpdir(), "dbmesh-e2e-sst-"));
  agent = startNode("apps/agent/src/main.ts", {
    DBMESH_API_URL: `http://127.0.0.1:${process.env.E2E_PORT ?? 3100}`,
    DBMESH_AGENT_TOKEN: created.token,
    DBMESH_AGENT_NAME: `0-e2e-sst-${SUFFIX}`,
    DBMESH_AGENT_LISTEN: `127.0.0.1:${agentPort}`,
    DBMESH_AGENT_METRICS_LISTEN: "off",
    DBMESH_AGENT_STATE_DIR: stateDir,
  });
  worker = startNode("apps/worker/src/main.ts", {
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    DBMESH_SECRET_KEY: env.DBMESH_SECRET_KEY,
    DBMESH_QUEUE_PREFIX: process.env.DBMESH_QUEUE_PREFIX ?? "dbmesh-e2e",
  });
});

test.afterAll(async ({ request }) => {
  await stop(worker);
  await stop(agent);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  // Leave no agent behind that later specs' connection strings could pick.
  if (agentId) await trpcMutation(request, "agent.revoke", { id: agentId }).catch(() => {});
  const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(BACKEND)} WITH (FORCE)`);
  await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(`${BACKEND}_owner`)}`);
  await admin.end();
});

test("a developer requests a database, a DBA approves it, psql works through the agent with the copied connection string; revoked, it stops", async ({ browser, request }) => {
  test.setTimeout(120_000);
  const developer = await createUser(request, "DEVELOPER");
  const dba = await createUser(request, "DBA");

  // The developer asks.
  const devPage = await signedIn(browser, developer);
  await devPage.goto("/requests");
  await expect(devPage.getByText("You have not requested anything yet")).toBeVisible();
  await devPage.getByRole("link", { name: "Request a database" }).first().click();
  await devPage.getByLabel("Name").fill(VDB);
  await devPage.getByLabel("Environment").selectOption("staging");
  await expect(devPage.getByText("Requests in staging need 1 DBA approval.")).toBeVisible();
  // Its own database (the other choice, a schema in a shared database, is covered by self-service-schema.int.test.ts).
  await devPage.getByLabel("Where it lives").selectOption("DATABASE");
  await devPage.getByLabel("pgcrypto").check();
  await devPage.getByLabel("Purpose").fill("orders for the e2e shop");
  await devPage.getByLabel("Owning team or service").fill("e2e-shop");
  await devPage.getByRole("button", { name: "Submit request" }).click();
  await expect(devPage).toHaveURL(/\/requests\/dbr_/);
  await expect(devPage.getByRole("img", { name: "status: waiting for review" })).toBeVisible();
  const requestUrl = devPage.url();
  // No review controls for the developer.
  await expect(devPage.getByRole("button", { name: "Approve" })).toHaveCount(0);

  // A DBA first asks for changes (a comment is required), the developer resubmits, then the DBA approves,
  // choosing the placement.
  const dbaPage = await signedIn(browser, dba);
  await dbaPage.goto("/requests?view=queue");
  await dbaPage.getByRole("link", { name: VDB }).click();
  await dbaPage.getByRole("button", { name: "Ask for changes" }).click();
  await expect(dbaPage.getByText("write a comment: the requester needs to know why (ask for changes)")).toBeVisible();
  await dbaPage.getByLabel("Review comment").fill("orders grow fast: medium, please");
  await dbaPage.getByRole("button", { name: "Ask for changes" }).click();
  await expect(dbaPage.getByRole("img", { name: "status: changes requested" })).toBeVisible();

  await devPage.reload();
  await expect(devPage.getByRole("status").filter({ hasText: "asked for changes" })).toContainText("orders grow fast: medium, please");
  await devPage.getByLabel("Expected size").selectOption("medium");
  await devPage.getByLabel("What you changed").fill("medium it is");
  await devPage.getByRole("button", { name: "Resubmit" }).click();
  await expect(devPage.getByRole("img", { name: "status: waiting for review" })).toBeVisible();

  await dbaPage.reload();
  await expect(dbaPage.getByText("medium", { exact: true })).toBeVisible();
  await expect(dbaPage.getByText("its own database", { exact: true })).toBeVisible();
  await dbaPage.getByLabel("Placement").selectOption({ label: `e2e-sst-staging-${SUFFIX} (127.0.0.1:5432)` });
  await dbaPage.getByLabel("Review comment").fill("placed on the staging server");
  await dbaPage.getByRole("button", { name: "Approve" }).click();
  await expect(dbaPage.getByRole("img", { name: /status: (approved, queued|provisioning|ready)/ })).toBeVisible();

  // The developer sees it ready, shows the password once and copies the connection string.
  await devPage.goto(requestUrl);
  await expect(devPage.getByRole("img", { name: "status: ready" })).toBeVisible({ timeout: 60_000 });
  await expect(devPage.getByRole("img", { name: "register: done" })).toBeVisible();
  // The console dials the agent that reports its address: wait until ours has sent a heartbeat.
  await expect(devPage.getByLabel("Connection string (without the password)")).toHaveValue(new RegExp(`@127\\.0\\.0\\.1:${agentPort}/`), { timeout: 30_000 });
  await devPage.getByRole("button", { name: "Show the password (once)" }).click();
  const box = devPage.getByLabel("Connection string", { exact: true });
  await expect(box).toHaveValue(/^postgresql:\/\//);
  await devPage.getByRole("button", { name: "Copy Connection string" }).click();
  await expect(devPage.getByRole("button", { name: "Copied Connection string" })).toBeVisible();
  const dsn = await devPage.evaluate(() => navigator.clipboard.readText());
  expect(dsn).toBe(await box.inputValue());
  expect(dsn).toMatch(new RegExp(`^postgresql://e2e_sst_${SUFFIX}_app:[^@]+@127\\.0\\.0\\.1:${agentPort}/${VDB}$`));

  // psql through the agent, with what was copied.
  await expect.poll(async () => (await psql(dsn, "SELECT 1").then(() => "ok", (e: Error) => e.message)), { timeout: 15_000 }).toBe("ok");
  const { stdout } = await psql(dsn, "CREATE TABLE orders (id serial PRIMARY KEY, ref text DEFAULT gen_random_uuid()::text); INSERT INTO orders DEFAULT VALUES; SELECT count(*) FROM orders");
  expect(stdout.trim().split("\n").at(-1)).toBe("1");

  // Shown once: after a reload there is no password to show again.
  await devPage.reload();
  await expect(devPage.getByRole("img", { name: "status: ready" })).toBeVisible();
  await expect(devPage.getByRole("button", { name: "Show the password (once)" })).toHaveCount(0);

  // Revoked, psql no longer gets in, and says why.
  await devPage.getByRole("button", { name: "Revoke" }).click();
  await devPage.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
  await expect(devPage.getByText("Credential revoked", { exact: true })).toBeVisible();
  await expect
    .poll(async () => psql(dsn, "SELECT 1").then(() => "still works", (e: Error & { stderr?: string }) => e.stderr ?? e.message), { timeout: 10_000 })
    .toMatch(/revoked/);
});

test("the request policy is set per environment by a DBA and read-only for a developer", async ({ browser, request }) => {
  const dba = await createUser(request, "DBA");
  const developer = await createUser(request, "DEVELOPER");
  const dbaPage = await signedIn(browser, dba);
  await dbaPage.goto("/settings/request-policy");
  const staging = dbaPage.getByRole("form", { name: "Request policy of staging" });
  await expect(staging.getByLabel("DBA approvals")).toHaveValue("1");
  await staging.getByLabel("DBA approvals").fill("9");
  await staging.getByRole("button", { name: "Save" }).click();
  await expect(staging.getByText("at most 5")).toBeVisible();
  // Keeps what was typed; a valid value saves.
  await expect(staging.getByLabel("DBA approvals")).toHaveValue("9");
  await staging.getByLabel("DBA approvals").fill("1");
  await staging.getByRole("button", { name: "Save" }).click();
  await expect(dbaPage.getByText("Request policy of staging saved.")).toBeVisible();

  const devPage = await signedIn(browser, developer);
  await devPage.goto("/settings/request-policy");
  await expect(devPage.getByText("can view but not change request policies")).toBeVisible();
  await expect(devPage.getByRole("form", { name: "Request policy of prod" }).getByLabel("DBA approvals")).toBeDisabled();
  await expect(devPage.getByRole("form", { name: "Request policy of prod" }).getByLabel("DBA approvals")).toHaveValue("2");
});
