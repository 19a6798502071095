import { expect, test } from "@playwright/test";
import { trpcQuery, uniq } from "../../fixtures/api";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

const env = readTestEnv();

interface VdbView {
  id: string;
  name: string;
  accessDefault: string;
  audit: { mode: string; sampleRate: number; keepLiterals: boolean };
  rateLimits: { perCredentialPerSecond: number | null; perDatabasePerSecond: number | null };
  dangerousFunctions: string[];
}

test("a DBA sets a virtual database's access default, rate limits, dangerous functions and audit policy; a bad rate is refused inline", async ({ page, request }) => {
  const vdbName = `vdb-gov-${uniq()}`;
  await login(page, env.adminEmail, env.adminPassword);

  await page.goto("/mesh/virtual-databases/new");
  await page.getByLabel("Name").fill(vdbName);
  await page.getByLabel("Environment").selectOption("dev");
  await page.getByLabel("pg-main (primary)").check();
  await page.getByLabel("Tables no rule covers").selectOption("deny");
  await page.getByLabel("Statements per second, per credential").fill("0");
  await page.getByLabel("More dangerous functions").fill("my_exec\nAdmin.Run_*");
  await page.getByLabel("Record").selectOption("sample");
  await page.getByLabel("Sample rate").fill("0.25");
  await page.getByLabel("Keep literal values").check();
  await page.getByRole("button", { name: "Save" }).click();
  // Inline, and what was typed stays.
  await expect(page.getByText("a rate must be at least 1 statement per second")).toBeVisible();
  await expect(page.getByLabel("More dangerous functions")).toHaveValue("my_exec\nAdmin.Run_*");

  await page.getByLabel("Statements per second, per credential").fill("200");
  await page.getByLabel("Statements per second, whole virtual database").fill("1000");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText(new RegExp(`"${vdbName}" created`))).toBeVisible();

  const saved = (await trpcQuery<VdbView[]>(request, "virtualDatabase.list")).find((v) => v.name === vdbName);
  expect(saved).toMatchObject({
    accessDefault: "deny",
    audit: { mode: "sample", sampleRate: 0.25, keepLiterals: true },
    rateLimits: { perCredentialPerSecond: 200, perDatabasePerSecond: 1000 },
    dangerousFunctions: ["my_exec", "admin.run_*"],
  });

  // The page shows it back; clearing a limit removes it.
  await page.goto(`/mesh/virtual-databases/${saved?.id}`);
  await expect(page.getByLabel("Tables no rule covers")).toHaveValue("deny");
  await expect(page.getByLabel("Statements per second, per credential")).toHaveValue("200");
  await page.getByLabel("Statements per second, per credential").fill("");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText(new RegExp(`"${vdbName}" saved`))).toBeVisible();
  const after = (await trpcQuery<VdbView[]>(request, "virtualDatabase.list")).find((v) => v.name === vdbName);
  expect(after?.rateLimits).toEqual({ perCredentialPerSecond: null, perDatabasePerSecond: 1000 });
});
