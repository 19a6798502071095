import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { trpcMutation, uniq } from "../../fixtures/api";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

const env = readTestEnv();
const server = new URL(env.DATABASE_URL);

async function sql(database: string, text: string) {
  const u = new URL(server.toString());
  u.pathname = `/${database}`;
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

test("a DBA plans a backup, runs it now, watches it succeed, restores it into a new database and finds it all in the audit log", async ({ page, request }) => {
  test.setTimeout(180_000);
  const suffix = uniq();
  const source = `dbmesh_e2e_src_${suffix}`;
  const planName = `nightly-${suffix}`;
  const dir = mkdtempSync(join(tmpdir(), "dbmesh-e2e-backups-"));
  let restored: string | undefined;
  let planId: string | undefined;
  await sql("postgres", `CREATE DATABASE ${source}`);
  try {
    await sql(source, `CREATE TABLE customer (id int PRIMARY KEY, name text); INSERT INTO customer SELECT g, 'c' || g FROM generate_series(1, 250) g;
                       CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customer, total numeric); INSERT INTO orders SELECT g, 1 + g % 250, g * 1.5 FROM generate_series(1, 1200) g;`);
    const endpoint = await trpcMutation<{ id: string }>(request, "endpoint.create", {
      name: `pg-backup-${suffix}`, environment: "dev", protocol: "POSTGRESQL", host: server.hostname, port: Number(server.port || 5432),
      database: source, username: "postgres", password: "e2e-backup-password", role: "PRIMARY", weight: 1, labels: {},
    });

    await login(page, env.adminEmail, env.adminPassword);
    await page.getByRole("link", { name: "Backups" }).first().click();
    await expect(page.getByRole("heading", { name: "Backups", level: 1 })).toBeVisible();
    await page.getByRole("link", { name: "New backup plan" }).first().click();

    await page.getByLabel("Name").fill(planName);
    await page.getByLabel("Endpoint").selectOption(endpoint.id);
    await page.getByLabel("Cron pattern").fill("30 3 * * 1-5");
    await page.getByLabel("Time zone").fill("Europe/Paris");
    // The schedule in words and its next five runs, live as one types.
    const preview = page.getByTestId("schedule-preview");
    await expect(preview).toContainText("At 03:30, Monday through Friday (Europe/Paris)");
    await expect(preview.getByRole("list", { name: "Next five runs" }).getByRole("listitem")).toHaveCount(5);
    await page.getByLabel("Cron pattern").fill("30 3 * *");
    await expect(preview).toContainText("a cron pattern has 5 fields");
    await page.getByLabel("Cron pattern").fill("30 3 * * 1-5");
    await page.getByLabel("Directory").fill(dir);
    await page.getByLabel("After each backup").selectOption("RESTORE");
    await page.getByRole("button", { name: "Create plan" }).click();
    await expect(page.getByRole("heading", { name: planName, level: 1 })).toBeVisible();
    planId = page.url().split("/").pop();

    await page.getByRole("button", { name: "Run now" }).click();
    await expect(page.getByText(`Backup of "${planName}" queued.`)).toBeVisible();
    const runs = page.getByRole("list", { name: "Backup runs" });
    await runs.getByRole("link").first().click();
    await expect(page.getByRole("heading", { level: 1 })).toContainText(`Backup of ${planName}`);
    // Live: queued or running first, then verified by a full restore, without reloading.
    await expect(page.getByRole("img", { name: "succeeded" }).first()).toBeVisible({ timeout: 90_000 });
    await expect(page.getByText(/restored into a scratch database: 2 tables, 1450 rows, all matching the manifest/)).toBeVisible();
    await expect(page.getByText(/^[0-9a-f]{64}$/)).toBeVisible();
    await expect(page.getByRole("table", { name: "Tables in this backup" })).toContainText("public.orders");

    await page.getByRole("button", { name: "Restore…" }).click();
    const dialog = page.getByRole("dialog", { name: "Restore this backup" });
    await dialog.getByLabel("Target endpoint").selectOption(endpoint.id);
    restored = await dialog.getByLabel("Database name").inputValue();
    expect(restored).toMatch(new RegExp(`^${source}_restored_\\d{8}_\\d{4}$`));
    await dialog.getByRole("button", { name: "Restore", exact: true }).click();
    await expect(page.getByText(`Restore into "${restored}" queued.`)).toBeVisible();
    const restores = page.getByRole("list", { name: "Restores" });
    await expect(restores.getByText("Final check: 2 tables, 1,450 rows, all matching the backup")).toBeVisible({ timeout: 90_000 });
    await expect(restores.getByRole("img", { name: "succeeded" })).toBeVisible();
    expect(await sql(restored, "SELECT count(*)::int AS n, sum(total)::text AS s FROM orders")).toEqual(await sql(source, "SELECT count(*)::int AS n, sum(total)::text AS s FROM orders"));

    // The plan's size chart and timeline show the run.
    await page.getByRole("link", { name: planName }).first().click();
    await expect(page.getByRole("img", { name: "Backup size over time, per plan" })).toBeVisible();

    await page.goto(`/audit?object=${suffix}`);
    for (const action of ["backup_plan.create", "backup.run_now", "backup.verified", "restore.request", "restore.succeeded"]) {
      await expect(page.getByRole("row").filter({ hasText: action }).first()).toBeVisible();
    }
    await expect(page.getByRole("row").filter({ hasText: "backup.run_now" }).first()).toContainText(env.adminEmail);
  } finally {
    if (planId) await trpcMutation(request, "backupPlan.delete", { id: planId }).catch(() => {});
    await sql("postgres", `DROP DATABASE IF EXISTS ${source} WITH (FORCE)`);
    if (restored) await sql("postgres", `DROP DATABASE IF EXISTS ${restored} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a plan whose backup failed shows on the fleet overview, with the reason in plain words", async ({ page, request }) => {
  const suffix = uniq();
  const endpoint = await trpcMutation<{ id: string }>(request, "endpoint.create", {
    name: `pg-gone-${suffix}`, environment: "dev", protocol: "POSTGRESQL", host: server.hostname, port: Number(server.port || 5432),
    database: `dbmesh_e2e_gone_${suffix}`, username: "postgres", role: "PRIMARY", weight: 1, labels: {},
  });
  const plan = await trpcMutation<{ id: string }>(request, "backupPlan.create", {
    name: `gone-${suffix}`, sourceKind: "endpoint", endpointId: endpoint.id, cron: "0 4 * * *", timezone: "UTC",
    storagePath: `.dbmesh/e2e-gone-${suffix}`, retentionKeep: null, retentionDays: null, verification: "NONE", paused: false, maxAttempts: 1,
  });
  try {
    await login(page, env.adminEmail, env.adminPassword);
    await page.goto(`/backups/${plan.id}`);
    await page.getByRole("button", { name: "Run now" }).click();
    await expect(page.getByText("The last backup failed")).toBeVisible({ timeout: 60_000 });
    await page.getByRole("link", { name: "Overview" }).click();
    const attention = page.getByRole("list", { name: "Backup plans needing attention" }).getByRole("listitem").filter({ hasText: `gone-${suffix}` });
    await expect(attention).toContainText("last backup failed");
    await expect(attention).toContainText(`database "dbmesh_e2e_gone_${suffix}" does not exist`);
  } finally {
    await trpcMutation(request, "backupPlan.delete", { id: plan.id }).catch(() => {});
    await trpcMutation(request, "endpoint.delete", { id: endpoint.id }).catch(() => {});
  }
});
