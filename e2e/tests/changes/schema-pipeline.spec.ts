import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { createUser, trpcMutation, trpcQuery, uniq } from "../../fixtures/api";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

// The schema pipeline in a real browser, with the real worker (the config's second webServer):
// a DEVELOPER submits a change and sees its lint warnings, a DBA approves and rolls it out to dev
// then staging (two real databases), the history shows it, and drift made by hand with psql shows up.

const env = readTestEnv();
const u = uniq();
const devDb = `dbmesh_e2e_dev_${u}`;
const stagingDb = `dbmesh_e2e_stg_${u}`;
const vdbName = `e2eshop-${u}`;

function serverUrl(database: string): string {
  const url = new URL(env.DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function sql(database: string, text: string) {
  const c = new pg.Client({ connectionString: serverUrl(database) });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

test.beforeAll(async () => {
  for (const d of [devDb, stagingDb]) {
    await sql("postgres", `CREATE DATABASE ${d}`);
    await sql(d, "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL); INSERT INTO items (name) VALUES ('a'), ('b');");
  }
});

test.afterAll(async () => {
  for (const d of [devDb, stagingDb]) await sql("postgres", `DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => {});
});

test("a developer's change: lint warnings, DBA approval, rollout dev → staging, history, drift", async ({ page, request }) => {
  test.setTimeout(180_000);
  const url = new URL(env.DATABASE_URL);
  const endpoint = (name: string, environment: string, database: string) =>
    trpcMutation(request, "endpoint.create", {
      name,
      environment,
      protocol: "POSTGRESQL",
      host: url.hostname,
      port: Number(url.port || 5432),
      database,
      username: decodeURIComponent(url.username || "postgres"),
      role: "PRIMARY",
      weight: 1,
      labels: { app: vdbName },
    });
  await endpoint(`${vdbName}-dev`, "dev", devDb);
  await endpoint(`${vdbName}-stg`, "staging", stagingDb);
  const vdb = await trpcMutation<{ id: string }>(request, "virtualDatabase.create", { name: vdbName, environment: "dev", trafficStrategy: null, backends: [], backendSelector: { app: vdbName } });
  const developer = await createUser(request, "DEVELOPER");
  const dba = await createUser(request, "DBA");

  // The developer writes the change in the SQL editor.
  await login(page, developer.email, developer.password);
  await page.goto("/changes/new");
  await page.getByLabel("Title").fill(`Add created_at ${u}`);
  await page.getByLabel("Virtual database", { exact: true }).selectOption(vdbName);
  await expect(page.getByText(`Rollout order: dev (${vdbName}-dev) → staging (${vdbName}-stg)`)).toBeVisible();
  await page.getByLabel("SQL statements").fill("ALTER TABLE items ADD COLUMN created_at timestamp;\nCREATE INDEX items_name_idx ON items (name);");
  await page.getByRole("button", { name: "Submit for review" }).click();
  await expect(page).toHaveURL(/\/changes\/cr_/);
  const changeUrl = page.url();

  // Checks: lint warnings by line with their rule code, a dry run on both targets, a schema diff.
  const devChecks = page.getByRole("region", { name: `Checks on dev (${vdbName}-dev)` });
  const lint = devChecks.getByRole("table", { name: "Lint findings on dev" });
  await expect(lint).toBeVisible({ timeout: 60_000 });
  await expect(lint.getByRole("img", { name: "warning" }).first()).toBeVisible();
  await expect(devChecks.getByRole("table", { name: "Dry run on dev" }).getByRole("img", { name: "ok" })).toHaveCount(2);
  await expect(devChecks.getByRole("table", { name: "Schema diff on dev" })).toContainText("column created_at timestamp without time zone");
  const ruleLink = lint.getByRole("link").first();
  const code = (await ruleLink.textContent())!.trim();
  await ruleLink.click();
  await expect(page).toHaveURL(new RegExp(`/changes/rules#${code}$`));
  await expect(page.locator(`article#${code}`)).toBeVisible();

  // The DBA approves (acknowledging the warnings) and deploys stage by stage.
  await page.context().clearCookies();
  await login(page, dba.email, dba.password);
  await page.goto(changeUrl);
  await page.getByRole("button", { name: "Deploy to dev" }).click();
  await expect(page.getByText(/needs 1 more approval from a DBA for dev/)).toBeVisible();
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText(/acknowledge them with a reason to approve/)).toBeVisible();
  await page.getByLabel("Why the warnings are acceptable").fill("timestamps are written in UTC; the table is tiny");
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByRole("list", { name: "Reviews and comments" }).getByRole("img", { name: "approved" })).toBeVisible();

  await page.getByRole("button", { name: "Deploy to dev" }).click();
  const devStage = page.getByRole("listitem", { name: "Stage dev" });
  await expect(devStage.getByRole("img", { name: "stage succeeded" }).first()).toBeVisible({ timeout: 60_000 });
  await page.getByRole("button", { name: "Deploy to staging" }).click();
  const stagingStage = page.getByRole("listitem", { name: "Stage staging" });
  await expect(stagingStage.getByRole("img", { name: "stage succeeded" }).first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole("img", { name: "done" })).toBeVisible();

  // History of the virtual database: both stages, newest first.
  await page.getByRole("link", { name: `Schema history of ${vdbName}` }).click();
  const history = page.getByRole("list", { name: `Applied changes of ${vdbName}` });
  await expect(history.getByRole("listitem")).toHaveCount(2);
  await expect(history.getByRole("listitem").first()).toContainText(`applied to staging (${vdbName}-stg)`);
  await expect(history.getByRole("listitem").nth(1)).toContainText(`applied to dev (${vdbName}-dev)`);
  await expect(history).toContainText("CREATE INDEX items_name_idx ON items (name);");

  // Drift made by hand with psql shows up, with its diff, here and on the dashboard.
  execFileSync("psql", [serverUrl(stagingDb), "-v", "ON_ERROR_STOP=1", "-c", "ALTER TABLE items ADD COLUMN added_by_hand integer"]);
  await page.getByRole("button", { name: "Check drift now" }).click();
  await expect(page.getByText(`Drift on ${vdbName}-stg`)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByLabel(`Drift diff on ${vdbName}-stg`)).toContainText("+  column added_by_hand integer");
  await page.goto("/");
  const flag = page.getByRole("status").filter({ hasText: /Schema drift on \d+ target/ });
  await expect(flag).toBeVisible();
  await expect(flag).toContainText(`${vdbName}-stg`);
  await expect(flag).toContainText("+  column added_by_hand integer");
  expect(vdb.id).toBeTruthy();
});

test("a CI job submits a migration over HTTP with an API token and reads its checks", async ({ request }) => {
  // What the README's curl does: POST changeRequest.create with a bearer token, then poll changeRequest.get.
  const { id } = await trpcMutation<{ id: string }>(request, "changeRequest.create", {
    title: `From CI ${u}`,
    description: "pipeline 42",
    target: { kind: "endpoints", endpoints: [`${vdbName}-dev`] },
    sql: "CREATE TABLE ci_orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric NOT NULL);",
  });
  expect(id).toMatch(/^cr_/);
  await expect
    .poll(async () => {
      const c = await trpcQuery<{ checks: { status: string; errorCount: number } }>(request, "changeRequest.get", { id });
      return `${c.checks.status} ${c.checks.errorCount}`;
    }, { timeout: 60_000 })
    .toBe("DONE 0");
});
