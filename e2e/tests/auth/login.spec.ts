import { expect, test } from "@playwright/test";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

const env = readTestEnv();

test("a wrong password shows a clear message and signs nobody in", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(env.adminEmail);
  await page.getByLabel("Password").fill("definitely-not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("email or password is wrong")).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test("the admin signs in with the seeded login, sees the console, and signs out", async ({ page }) => {
  await login(page, env.adminEmail, env.adminPassword);
  await expect(page.getByText(env.adminEmail).first()).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  // The session is gone: the console sends us back to the sign-in page.
  await page.goto("/mesh/endpoints");
  await expect(page).toHaveURL(/\/login/);
});
