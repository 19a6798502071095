import { expect, test } from "@playwright/test";
import { trpcQuery, uniq } from "../../fixtures/api";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

const env = readTestEnv();

type AgentList = { revision: number; agents: { id: string; name: string; status: string }[] };

test("a DBA registers an agent, sees it come up from its heartbeat, and gives an application a credential", async ({ page, request, baseURL }) => {
  const suffix = uniq();
  const agentName = `e2e-agent-${suffix}`;
  const credentialName = `e2e_app_${suffix}`;
  await login(page, env.adminEmail, env.adminPassword);

  // --- register an agent: its token is shown once, with the command that starts it ---------------
  await page.goto("/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
  await expect(page).toHaveURL(/\/fleet\/agents$/);
  await page.getByRole("button", { name: "Register agent" }).click();
  await page.getByLabel("Name").fill(agentName);
  await page.getByRole("button", { name: "Register agent" }).click();
  await expect(page.getByText("Copy the token now")).toBeVisible();
  const token = await page.getByLabel("Agent token").inputValue();
  expect(token).toMatch(/^dbmag_/);
  await expect(page.getByLabel("Start the agent")).toHaveValue(
    `DBMESH_API_URL=${new URL(baseURL!).origin} DBMESH_AGENT_TOKEN=${token} npm start -w @dbmesh/agent`,
  );

  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: agentName, exact: true }) });
  await expect(row.getByRole("img", { name: /^never seen/ })).toBeVisible();

  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByLabel("Agent token")).toHaveCount(0);
  await page.reload();
  await expect(row).toBeVisible();
  expect(await page.content()).not.toContain(token);

  // --- the agent reports in: the list (refreshing every 5 s) shows it up ------------------------
  const { revision } = await trpcQuery<AgentList>(request, "agent.list");
  const heartbeat = await request.post("/api/agent/v1/heartbeat", {
    headers: { authorization: `Bearer ${token}` },
    data: {
      name: agentName,
      version: "9.8.7-e2e",
      address: "127.0.0.1:6432",
      startedAt: new Date(Date.now() - 60_000).toISOString(),
      appliedRevision: revision,
      backends: [{ virtualDatabase: "demo", backend: "pg-main", healthy: true, lastError: null, checkedAt: new Date().toISOString() }],
      counters: { clientConnections: 7, serverConnections: 2, queriesTotal: 4321, queriesPerSecond: 12.5, errorsTotal: 0, poolWaitsTotal: 0 },
    },
  });
  expect(heartbeat.status()).toBe(200);
  expect((await heartbeat.json()).currentRevision).toBeGreaterThanOrEqual(revision);

  await expect(row.getByRole("img", { name: /^up:/ })).toBeVisible({ timeout: 15_000 });
  await expect(row).toContainText("9.8.7-e2e");
  await expect(row).toContainText("1/1 healthy");
  await expect(row).toContainText("127.0.0.1:6432");
  await expect(row).toContainText("12.5");
  await expect(row.getByRole("img", { name: /^up to date/ })).toBeVisible();

  // --- its token fetches the compiled mesh ----------------------------------------------------
  const config = await request.get("/api/agent/v1/config?wait=0", { headers: { authorization: `Bearer ${token}` } });
  expect(config.status()).toBe(200);
  expect(config.headers()["content-type"]).toContain("application/json");
  const body = (await config.json()) as { revision: number; virtualDatabases: { name: string }[] };
  expect(body.virtualDatabases.map((v) => v.name)).toContain("demo");
  expect(config.headers()["etag"]).toBe(`"${body.revision}"`);

  // --- the detail page: backend health, counters, and the fetch just made ----------------------
  await row.getByRole("link", { name: agentName }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(agentName);
  const backends = page.getByRole("table", { name: "Backend health" });
  await expect(backends.getByRole("row").filter({ hasText: "pg-main" })).toContainText("healthy");
  await expect(page.getByRole("region", { name: "Counters" })).toContainText("4,321");
  await expect(page.getByRole("table", { name: "Recent config fetches" }).getByRole("row").nth(1)).toContainText("new config", { timeout: 15_000 });

  // --- an application credential on demo: the password once, then the vdb page lists it -------
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Credentials" }).click();
  await expect(page).toHaveURL(/\/mesh\/credentials$/);
  await page.getByRole("link", { name: "New credential" }).click();
  await page.getByLabel("Name").fill(credentialName);
  await page.getByLabel("Description").fill("the e2e application");
  await page.getByLabel("demo", { exact: true }).check();
  await page.getByRole("button", { name: "Create credential" }).click();
  await expect(page.getByText("Copy the password now")).toBeVisible();
  const password = await page.getByLabel("Password", { exact: true }).inputValue();
  expect(password.length).toBeGreaterThanOrEqual(20);
  const dsn = await page.getByLabel("Connection string").inputValue();
  expect(dsn.startsWith(`postgresql://${credentialName}:${encodeURIComponent(password)}@`)).toBe(true);
  expect(dsn).toMatch(/:\d+\/demo$/);

  await page.getByRole("link", { name: "Back to credentials" }).click();
  const credRow = page.getByRole("row").filter({ has: page.getByRole("link", { name: credentialName, exact: true }) });
  await expect(credRow).toContainText("demo");
  await expect(credRow).toContainText("the e2e application");
  expect(await page.content()).not.toContain(password);

  const vdbs = await trpcQuery<{ id: string; name: string }[]>(request, "virtualDatabase.list");
  await page.goto(`/mesh/virtual-databases/${vdbs.find((v) => v.name === "demo")!.id}`);
  const connect = page.getByRole("region", { name: "Connect" });
  await expect(connect.getByRole("link", { name: credentialName, exact: true })).toBeVisible();
  await expect(connect).toContainText(new RegExp(`postgresql://${credentialName}@[^/\\s]+:\\d+/demo`));
  await connect.getByRole("link", { name: credentialName, exact: true }).click();
  await expect(page.getByLabel("Name")).toHaveValue(credentialName);

  // --- revoking the agent shuts its token out -------------------------------------------------
  const agents = await trpcQuery<AgentList>(request, "agent.list");
  await page.goto(`/fleet/agents/${agents.agents.find((a) => a.name === agentName)!.id}`);
  await page.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("button", { name: "Yes, revoke" }).click();
  await expect(page.getByRole("heading", { level: 1 }).getByRole("img", { name: /^revoked/ })).toBeVisible();
  const refused = await request.get("/api/agent/v1/config?wait=0", { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
});
