import { expect, test } from "@playwright/test";
import { trpcMutation, trpcQuery, uniq } from "../../fixtures/api";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

const env = readTestEnv();

type Strategy = { id: string; name: string; circuitBreaks: { name: string; tables: string[]; operations: string[] }[] };

test("a circuit break matched by table: inline errors for a bad pattern and for operations without a table, then it saves", async ({ page, request }) => {
  const name = `cb-tables-${uniq()}`;
  await login(page, env.adminEmail, env.adminPassword);
  await page.goto("/mesh/traffic-strategies/new");
  await page.locator('input[name="name"]').fill(name);
  await page.getByRole("button", { name: "Add circuit break" }).click();
  await page.locator('input[name="circuitBreaks.0.name"]').fill("frozen-ledger");

  // Operations but no table: the form says where the table goes.
  const operations = page.getByRole("group", { name: "Operations on those tables (none: any)" });
  await operations.getByLabel("delete", { exact: true }).check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("operations apply to the tables of a circuit break: give a table pattern")).toBeVisible();

  // A pattern that is not one.
  const tables = page.locator('textarea[name="circuitBreaks.0.tables"]');
  await tables.fill("finance.ledger.x");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("a table pattern is 'table', 'schema.table', 'schema.*' or '*'")).toBeVisible();
  await expect(tables).toHaveAttribute("aria-invalid", "true");
  expect((await trpcQuery<Strategy[]>(request, "trafficStrategy.list")).some((s) => s.name === name)).toBe(false);

  // Fixed: it saves, tables and operations included.
  await tables.fill("finance.ledger\nsecrets");
  await page.getByRole("button", { name: "Save" }).click();
  await expect.poll(async () => (await trpcQuery<Strategy[]>(request, "trafficStrategy.list")).find((s) => s.name === name)?.circuitBreaks).toEqual([
    expect.objectContaining({ name: "frozen-ledger", tables: ["finance.ledger", "secrets"], operations: ["delete"] }),
  ]);
  const saved = (await trpcQuery<Strategy[]>(request, "trafficStrategy.list")).find((s) => s.name === name)!;
  await trpcMutation(request, "trafficStrategy.delete", { id: saved.id });
});
