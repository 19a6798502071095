import { expect, test } from "@playwright/test";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

const env = readTestEnv();

test("try a statement: the demo credential may update orders but not drop a table or read the audit schema", async ({ page }) => {
  await login(page, env.adminEmail, env.adminPassword);
  await page.goto("/mesh/access-rules?vdb=demo");
  const panel = page.getByRole("region", { name: "Try a statement" });
  await panel.getByLabel("Credential").fill("demo_app");

  await panel.getByLabel("Statement").fill("UPDATE orders SET status = 'shipped' WHERE id = 1");
  await panel.getByRole("button", { name: "Check" }).click();
  await expect(panel.getByText("allowed", { exact: true })).toBeVisible();
  await expect(panel.getByText('allowed by access rule "demo-app-write"')).toBeVisible();

  await panel.getByLabel("Statement").fill("DROP TABLE customers");
  await panel.getByRole("button", { name: "Check" }).click();
  await expect(panel.getByText("denied", { exact: true })).toBeVisible();
  await expect(panel.getByText(/ddl on public\.customers is refused/)).toBeVisible();

  await panel.getByLabel("Statement").fill('select * from "audit".login_history');
  await panel.getByRole("button", { name: "Check" }).click();
  await expect(panel.getByText(/refused by access rule "demo-deny-audit"/)).toBeVisible();
});
