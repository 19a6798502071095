import { expect, test } from "@playwright/test";
import { trpcQuery } from "../../fixtures/api";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

const env = readTestEnv();

test("bad endpoint input shows a clear message next to the field and saves nothing", async ({ page, request }) => {
  const before = await trpcQuery<{ name: string }[]>(request, "endpoint.list");
  await login(page, env.adminEmail, env.adminPassword);
  await page.goto("/mesh/endpoints/new");

  // Port out of range.
  await page.getByLabel("Name").fill("pg-bad-port");
  await page.getByLabel("Environment").selectOption("dev");
  await page.getByLabel("Host").fill("127.0.0.1");
  await page.getByLabel("Port").fill("70000");
  await page.getByLabel("Database").fill("postgres");
  await page.getByLabel("User").fill("postgres");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("port must be between 1 and 65535")).toBeVisible();
  await expect(page.getByLabel("Port")).toHaveAttribute("aria-invalid", "true");

  // Empty name.
  await page.getByLabel("Port").fill("5432");
  await page.getByLabel("Name").fill("");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("name is required")).toBeVisible();

  // A name that is taken: only the server knows; its message lands next to the field, and what
  // the user typed stays.
  await page.getByLabel("Name").fill("pg-main");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText('an endpoint named "pg-main" already exists')).toBeVisible();
  await expect(page.getByLabel("Host")).toHaveValue("127.0.0.1");

  const after = await trpcQuery<{ name: string }[]>(request, "endpoint.list");
  expect(after.map((e) => e.name).sort()).toEqual(before.map((e) => e.name).sort());
});
