import { expect, test } from "@playwright/test";
import { trpcQuery, uniq } from "../../fixtures/api";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

const env = readTestEnv();

test("importing YAML shows the diff first and applies it only on Apply", async ({ page, request }) => {
  const suffix = uniq();
  const yaml = `apiVersion: dbmesh.io/v1alpha1
kind: Environment
metadata:
  name: env-${suffix}
spec:
  description: imported in e2e
---
apiVersion: core.database-mesh.io/v1alpha1
kind: DatabaseEndpoint
metadata:
  name: pg-yaml-${suffix}
  annotations:
    database-mesh.io/role: read
    dbmesh.io/environment: env-${suffix}
spec:
  database:
    PostgreSQL: {host: 127.0.0.1, port: 5432, user: postgres, db: postgres}
`;
  await login(page, env.adminEmail, env.adminPassword);
  await page.goto("/mesh/yaml");
  await page.getByLabel(/YAML to import/i).fill(yaml);
  await page.getByRole("button", { name: "Preview" }).click();

  const diff = page.getByRole("table").filter({ hasText: `pg-yaml-${suffix}` });
  await expect(diff.getByRole("row").filter({ hasText: `pg-yaml-${suffix}` })).toContainText(/create/i);
  await expect(diff.getByRole("row").filter({ hasText: `env-${suffix}` })).toContainText(/create/i);
  await expect(page.getByText(/2 to create/)).toBeVisible();
  // Nothing is applied by a preview.
  expect((await trpcQuery<{ name: string }[]>(request, "endpoint.list")).map((e) => e.name)).not.toContain(`pg-yaml-${suffix}`);

  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("Imported", { exact: true })).toBeVisible();
  const endpoints = await trpcQuery<{ name: string; role: string; environment: string }[]>(request, "endpoint.list");
  expect(endpoints.find((e) => e.name === `pg-yaml-${suffix}`)).toMatchObject({ role: "REPLICA", environment: `env-${suffix}` });
});

test("invalid YAML shows readable errors and cannot be applied", async ({ page }) => {
  await login(page, env.adminEmail, env.adminPassword);
  await page.goto("/mesh/yaml");
  await page
    .getByLabel(/YAML to import/i)
    .fill("apiVersion: core.database-mesh.io/v1alpha1\nkind: DatabaseEndpoint\nmetadata:\n  name: pg-x\nspec:\n  database:\n    PostgreSQL: {host: h, port: 70000, user: u, db: d}\n");
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByText(/port must be between 1 and 65535/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
});
