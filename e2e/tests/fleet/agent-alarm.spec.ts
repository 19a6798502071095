import { expect, test } from "@playwright/test";
import { trpcMutation, trpcQuery, uniq } from "../../fixtures/api";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

const env = readTestEnv();

// An agent whose SQL audit spool is full reports `audit_dropping` in its heartbeat (apps/agent/PROTOCOL.md);
// the Agents list and the agent's page show it until a heartbeat without it arrives.

test("an agent's audit_dropping alarm shows on the Agents list and the agent's page, and clears", async ({ page, request }) => {
  const name = `e2e-alarm-${uniq()}`;
  const agent = await trpcMutation<{ id: string; token: string }>(request, "agent.create", { name });
  const { revision } = await trpcQuery<{ revision: number }>(request, "agent.list");
  const since = new Date(Date.now() - 90_000).toISOString();
  const beat = (alarms: unknown[], dropped: number) =>
    request.post("/api/agent/v1/heartbeat", {
      headers: { authorization: `Bearer ${agent.token}` },
      data: {
        name,
        version: "0.1.0",
        address: "127.0.0.1:6432",
        startedAt: new Date(Date.now() - 600_000).toISOString(),
        appliedRevision: revision,
        backends: [],
        counters: { clientConnections: 3, queriesPerSecond: 250, auditSpooled: 120_000, auditSent: 90_000, auditDropped: dropped, auditSpoolBytes: 268_000_000 },
        alarms,
      },
    });
  const message = "SQL audit events are being dropped (4512 so far): the audit spool is full: the control plane has not acknowledged events for a while";
  expect((await beat([{ code: "audit_dropping", message, since }], 4512)).status()).toBe(200);

  await login(page, env.adminEmail, env.adminPassword);
  await page.goto(`/fleet/agents?q=${name}`);
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
  await expect(row.getByRole("img", { name: /^alarm: SQL audit events are being dropped/ })).toBeVisible();
  await expect(row).toContainText("audit events dropped");

  await row.getByRole("link", { name, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/fleet/agents/${agent.id}$`));
  const alert = page.getByRole("alert").filter({ hasText: "Alarm: audit events dropped" });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText("4512 so far");
  await expect(page.getByText("4,512").or(page.getByText("4512")).first()).toBeVisible();
  await expect(page.getByText("255.6 MiB")).toBeVisible(); // auditSpoolBytes, as a size

  // The next heartbeat without the alarm clears it (the page refreshes every 5 s).
  expect((await beat([], 4512)).status()).toBe(200);
  await expect(alert).toHaveCount(0, { timeout: 15_000 });
});
