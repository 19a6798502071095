import { randomUUID } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { createUser, trpcMutation, uniq } from "../../fixtures/api";
import { login } from "../../fixtures/login";

const TOTAL = 60;
// Every fourth statement is a DROP that the rule e2e-no-ddl refuses.
const isDenied = (i: number) => i % 4 === 3;
const DENIED = Array.from({ length: TOTAL }, (_, i) => i).filter(isDenied).length;

/** A batch as an agent sends it (apps/agent/PROTOCOL.md): one credential, two statement shapes. */
function auditBatch(credential: string, marker: string, fingerprints: { select: string; ddl: string }) {
  const now = Date.now();
  return Array.from({ length: TOTAL }, (_, i) => {
    const denied = isDenied(i);
    return {
      id: randomUUID(),
      // Spread over the last 25 minutes, oldest first: the newest (i = 59) is a denied one.
      occurredAt: new Date(now - (TOTAL - i) * 25_000).toISOString(),
      virtualDatabase: "demo",
      credential,
      clientAddress: `10.0.0.${(i % 5) + 1}:5${1000 + i}`,
      applicationName: "e2e-orders",
      statement: denied ? `DROP TABLE public.orders /* ${marker} */` : `SELECT id, total FROM public.orders WHERE note = '${marker}' AND id = $1`,
      fingerprint: denied ? fingerprints.ddl : fingerprints.select,
      kind: denied ? "ddl" : "select",
      tables: [{ schema: "public", name: "orders", operation: denied ? "ddl" : "select" }],
      decision: denied ? "denied" : "allowed",
      rule: denied ? "e2e-no-ddl" : "e2e-read-orders",
      backend: denied ? null : "pg-main",
      durationUs: denied ? null : 300 + i,
      rows: denied ? null : 1,
      sqlstate: denied ? "42501" : "00000",
    };
  });
}

const statementsTable = (page: Page) => page.getByRole("table", { name: "Statements, newest first" });
const csvLines = (text: string) => text.trimEnd().split("\n").length;

test("an AUDITOR browses the SQL agents sent: chart, statements, denials, fingerprints and CSV", async ({ page, request }) => {
  const suffix = uniq();
  const credential = `e2e_sql_${suffix}`;
  const marker = `e2e-marker-${suffix}`;
  const fingerprints = { select: `e2e-sel-${suffix}`, ddl: `e2e-ddl-${suffix}` };

  // --- an agent sends a batch; sending it again stores nothing twice ------------------------------
  const agent = await trpcMutation<{ token: string }>(request, "agent.create", { name: `e2e-sql-agent-${suffix}` });
  const events = auditBatch(credential, marker, fingerprints);
  for (const expected of [{ accepted: TOTAL, duplicates: 0 }, { accepted: 0, duplicates: TOTAL }]) {
    const res = await request.post("/api/agent/v1/audit", { headers: { authorization: `Bearer ${agent.token}` }, data: { events } });
    expect(res.status()).toBe(200);
    expect(await res.json()).toEqual(expected);
  }

  // --- the auditor opens the log for that credential over the last 24 hours ----------------------
  const auditor = await createUser(request, "AUDITOR");
  await login(page, auditor.email, auditor.password);
  await page.goto(`/audit/sql?credential=${credential}&range=24h`);
  await expect(page.getByRole("heading", { level: 1, name: "SQL audit log" })).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "SQL log" })).toHaveAttribute("aria-current", "page");
  await expect(nav.getByRole("link", { name: "Console log" })).not.toHaveAttribute("aria-current", "page");
  await expect(page.getByLabel("Time range")).toHaveValue("24h");
  await expect(page.getByLabel("Credential")).toHaveValue(credential);

  // The chart: totals in its accessible name and beside it, the numbers in a table for screen readers.
  await expect(page.getByRole("img", { name: new RegExp(`over the last 24 hours: ${TOTAL} statements, ${DENIED} denied`) })).toBeVisible();
  await expect(page.getByText(`${TOTAL} statements, ${DENIED} denied`, { exact: true })).toBeVisible();
  const counts = page.getByRole("table", { name: /^Statements per .* over the last 24 hours/ });
  await expect(counts.getByRole("row")).not.toHaveCount(0);

  // Statements, newest first, 50 a page: "Load more" fetches the rest.
  const table = statementsTable(page);
  await expect(table.getByRole("row")).toHaveCount(1 + 50);
  await expect(page.getByText("50 statements shown")).toBeVisible();
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(table.getByRole("row")).toHaveCount(1 + TOTAL);
  await expect(page.getByText("End of the log for these filters.")).toBeVisible();
  await expect(table.getByRole("img", { name: "denied", exact: true })).toHaveCount(DENIED);
  await expect(table.getByRole("img", { name: "allowed", exact: true })).toHaveCount(TOTAL - DENIED);
  await expect(table.getByRole("row").nth(1)).toContainText(`DROP TABLE public.orders /* ${marker} */`);
  await expect(table.getByRole("row").nth(1)).toContainText("public.orders:ddl");

  // The CSV of the same filters: a header line and one line per statement.
  const csvLink = page.getByRole("link", { name: "Export CSV" });
  const all = await page.request.get((await csvLink.getAttribute("href"))!);
  expect(all.status()).toBe(200);
  expect(all.headers()["content-type"]).toContain("text/csv");
  const allText = await all.text();
  expect(csvLines(allText)).toBe(1 + TOTAL);
  expect(allText).toContain(marker);

  // A row opens to show everything, and its fingerprint filters the log.
  await table.getByRole("row").nth(1).getByRole("button", { name: /^Show details of the ddl statement/ }).click();
  const details = table.getByRole("row").nth(2);
  await expect(details).toContainText("e2e-no-ddl");
  await expect(details).toContainText(fingerprints.ddl);
  await expect(details).toContainText("42501");
  await details.getByRole("link", { name: "Filter by this fingerprint" }).click();
  await expect(page).toHaveURL(new RegExp(`fingerprint=${fingerprints.ddl}`));
  await expect(page.getByLabel("Fingerprint")).toHaveValue(fingerprints.ddl);
  await expect(table.getByRole("row")).toHaveCount(1 + DENIED);
  await page.getByRole("button", { name: "Clear filters" }).first().click();
  await expect(page).not.toHaveURL(/fingerprint=/);
  await page.goto(`/audit/sql?credential=${credential}&range=24h`);

  // --- only the denials -----------------------------------------------------------------------
  await page.getByLabel("Decision").selectOption("denied");
  await expect(page).toHaveURL(/decision=denied/);
  await expect(table.getByRole("row")).toHaveCount(1 + DENIED);
  await expect(table.getByRole("img", { name: "denied", exact: true })).toHaveCount(DENIED);
  await expect(table.getByRole("img", { name: "allowed", exact: true })).toHaveCount(0);
  await expect(page.getByText(`${DENIED} statements, ${DENIED} denied`, { exact: true })).toBeVisible();
  await page.getByLabel("Decision").selectOption("");
  await expect(page).not.toHaveURL(/decision=/);

  // --- grouped by fingerprint: two shapes; picking one lists its statements ----------------------
  await page.getByRole("tab", { name: "By fingerprint" }).click();
  await expect(page).toHaveURL(/view=fingerprints/);
  await expect(page.getByRole("tab", { name: "By fingerprint" })).toHaveAttribute("aria-selected", "true");
  const groups = page.getByRole("table", { name: "Statements by fingerprint" });
  await expect(groups.getByRole("row")).toHaveCount(1 + 2);
  const selectRow = groups.getByRole("row").filter({ hasText: fingerprints.select });
  const ddlRow = groups.getByRole("row").filter({ hasText: fingerprints.ddl });
  await expect(selectRow.getByRole("cell").nth(1)).toHaveText(String(TOTAL - DENIED));
  await expect(selectRow.getByRole("cell").nth(2)).toHaveText("0");
  await expect(ddlRow.getByRole("cell").nth(1)).toHaveText(String(DENIED));
  await expect(ddlRow.getByRole("img", { name: `${DENIED} denied` })).toBeVisible();
  // Busiest first.
  await expect(groups.getByRole("row").nth(1)).toContainText(fingerprints.select);

  await ddlRow.getByRole("cell").nth(1).click();
  await expect(page).toHaveURL(new RegExp(`fingerprint=${fingerprints.ddl}`));
  await expect(page).not.toHaveURL(/view=/);
  await expect(page.getByRole("tab", { name: "Statements" })).toHaveAttribute("aria-selected", "true");
  await expect(table.getByRole("row")).toHaveCount(1 + DENIED);
  await expect(table.getByRole("img", { name: "allowed", exact: true })).toHaveCount(0);

  const filtered = await page.request.get((await csvLink.getAttribute("href"))!);
  expect(filtered.status()).toBe(200);
  expect(filtered.headers()["content-type"]).toContain("text/csv");
  const filteredText = await filtered.text();
  expect(csvLines(filteredText)).toBe(1 + DENIED);
  expect(filteredText).toContain("e2e-no-ddl");
  expect(filteredText).not.toContain("e2e-read-orders");
});

test("a DEVELOPER is told their role cannot read the SQL audit log", async ({ page, request }) => {
  const developer = await createUser(request, "DEVELOPER");
  await login(page, developer.email, developer.password);
  await page.goto("/audit/sql");
  await expect(page.getByRole("heading", { level: 1, name: "SQL audit log" })).toBeVisible();
  await expect(page.getByText("Your role (DEVELOPER) cannot read the SQL audit log; ADMIN, DBA and AUDITOR users can.")).toBeVisible();
  await expect(page.getByRole("table")).toHaveCount(0);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "SQL log" })).toHaveCount(0);
  expect((await page.request.get("/api/sql-audit/export")).status()).toBe(403);
});
