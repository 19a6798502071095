import { expect, test } from "@playwright/test";
import { createUser, trpcQuery } from "../../fixtures/api";
import { login } from "../../fixtures/login";

test("a DEVELOPER can read an endpoint but cannot save its edit form", async ({ page, request }) => {
  const dev = await createUser(request, "DEVELOPER");
  const endpoints = await trpcQuery<{ id: string; name: string; port: number }[]>(request, "endpoint.list");
  const target = endpoints.find((e) => e.name === "pg-main")!;
  await login(page, dev.email, dev.password);

  await page.goto("/mesh/endpoints");
  await expect(page.getByRole("cell", { name: "pg-main", exact: true }).or(page.getByRole("link", { name: "pg-main", exact: true })).first()).toBeVisible();
  await expect(page.getByRole("link", { name: "New endpoint" }).or(page.getByRole("button", { name: "New endpoint" }))).toHaveCount(0);

  await page.goto(`/mesh/endpoints/${target.id}`);
  await expect(page.getByText(/can view but not change/i)).toBeVisible();
  const save = page.getByRole("button", { name: "Save" });
  if (await save.count()) await expect(save).toBeDisabled();

  // Even a request forged from the page is refused by the server.
  const status = await page.evaluate(async (id) => {
    const res = await fetch("/api/trpc/endpoint.delete", {
      method: "POST",
      headers: { "content-type": "application/json", "x-dbmesh-csrf": "1" },
      body: JSON.stringify({ json: { id } }),
    });
    return res.status;
  }, target.id);
  expect(status).toBe(403);
  expect((await trpcQuery<{ id: string; port: number }[]>(request, "endpoint.list")).find((e) => e.id === target.id)?.port).toBe(target.port);
});

test("an AUDITOR reads the audit log; a DBA cannot open user management", async ({ page, request }) => {
  const auditor = await createUser(request, "AUDITOR");
  await login(page, auditor.email, auditor.password);
  await page.goto("/audit");
  await expect(page.getByRole("table")).toBeVisible();
  await expect(page.getByRole("row").nth(1)).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();

  const dba = await createUser(request, "DBA");
  await login(page, dba.email, dba.password);
  await page.goto("/settings/users");
  await expect(page.getByText(/only.*ADMIN|administrators/i).first()).toBeVisible();
});
