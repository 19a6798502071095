import { expect, test } from "@playwright/test";
import { trpcQuery, uniq } from "../../fixtures/api";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

const env = readTestEnv();

test("a DBA creates an endpoint and a virtual database, and finds both in the audit log under their name", async ({ page, request }) => {
  const suffix = uniq();
  const endpointName = `pg-e2e-${suffix}`;
  const vdbName = `vdb-e2e-${suffix}`;
  const demoDb = new URL(env.DATABASE_URL.replace(/\/[^/]*$/, "/dbmesh_demo_test"));
  await login(page, env.adminEmail, env.adminPassword);

  await page.goto("/mesh/endpoints/new");
  await page.getByLabel("Name").fill(endpointName);
  await page.getByLabel("Environment").selectOption("dev");
  await page.getByLabel("Host").fill(demoDb.hostname);
  await page.getByLabel("Port").fill(demoDb.port || "5432");
  await page.getByLabel("Database").fill("dbmesh_demo_test");
  await page.getByLabel("User").fill("postgres");
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByText(/server version 1\d\.\d+/)).toBeVisible();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText(new RegExp(`"${endpointName}" created`))).toBeVisible();
  await expect(page).not.toHaveURL(/\/new$/);

  const endpoints = await trpcQuery<{ name: string; hasPassword: boolean }[]>(request, "endpoint.list");
  expect(endpoints.map((e) => e.name)).toContain(endpointName);

  await page.goto("/mesh/virtual-databases/new");
  await page.getByLabel("Name").fill(vdbName);
  await page.getByLabel("Environment").selectOption("dev");
  await page.getByLabel(endpointName).check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText(new RegExp(`"${vdbName}" created`))).toBeVisible();
  await expect(page).not.toHaveURL(/\/new$/);
  const vdbs = await trpcQuery<{ name: string; backends: string[] }[]>(request, "virtualDatabase.list");
  expect(vdbs.find((v) => v.name === vdbName)?.backends).toEqual([endpointName]);

  await page.goto(`/audit?object=${suffix}`);
  const endpointRow = page.getByRole("row").filter({ hasText: "endpoint.create" }).filter({ hasText: endpointName });
  const vdbRow = page.getByRole("row").filter({ hasText: "virtual_database.create" }).filter({ hasText: vdbName });
  await expect(endpointRow).toContainText(env.adminEmail);
  await expect(vdbRow).toContainText(env.adminEmail);
});
