import { createDb, type Db } from "@dbmesh/db";
import { countGeneratedSqlAudit, generateSqlAudit, VOLUME_AGENT } from "@dbmesh/db/sql-audit-volume";
import { expect, test, type Page } from "@playwright/test";
import { createUser } from "../../fixtures/api";
import { login } from "../../fixtures/login";
import { readTestEnv } from "../../fixtures/test-env";

// The SQL audit browser over 10 million rows. The rows are generated into the e2e control database
// once (minutes on this box) and kept there: later runs only top the table up when retention has
// dropped some days. They belong to the virtual databases of the volume generator ("orders",
// "billing", …), which no other test uses, so counts below can be checked against the database.
const TEN_MILLION = 10_000_000;

test.describe.configure({ timeout: 20 * 60_000 });

let db: Db;

test.beforeAll(async () => {
  test.setTimeout(20 * 60_000);
  db = createDb(readTestEnv().DATABASE_URL, { max: 2 });
  const have = await countGeneratedSqlAudit(db);
  if (have < TEN_MILLION) {
    const started = Date.now();
    await generateSqlAudit(db, TEN_MILLION - have, { days: 3 });
    console.log(`sql-audit-10m: generated ${TEN_MILLION - have} rows in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
});
test.afterAll(async () => db?.$disconnect());

async function count(sql: string, ...params: unknown[]): Promise<number> {
  const rows = await db.$queryRawUnsafe<{ n: bigint }[]>(sql, ...params);
  return Number(rows[0]!.n);
}

/** "2,000,123 statements, 20,619 denied" in whatever grouping the browser's locale uses. */
async function chartTotals(page: Page): Promise<{ total: number; denied: number }> {
  const summary = page.getByText(/^[\d.,\s\u202f]+ statements?, [\d.,\s\u202f]+ denied$/).first();
  await expect(summary).toBeVisible({ timeout: 30_000 });
  const [total, denied] = (await summary.innerText()).split(/ statements?, /).map((p) => Number(p.replace(/\D/g, "")));
  return { total: total!, denied: denied! };
}

const statementsTable = (page: Page) => page.getByRole("table", { name: "Statements, newest first" });

test("an AUDITOR browses 10 million audited statements: pages, filters, groups and the chart", async ({ page, request }) => {
  expect(await countGeneratedSqlAudit(db)).toBeGreaterThanOrEqual(TEN_MILLION);
  const vdb = "orders";
  const expected = {
    total: await count(`SELECT count(*) AS n FROM sql_audit_event WHERE agent_name = $1 AND virtual_database = $2`, VOLUME_AGENT, vdb),
    denied: await count(
      `SELECT count(*) AS n FROM sql_audit_event WHERE agent_name = $1 AND virtual_database = $2 AND decision = 'denied'`,
      VOLUME_AGENT,
      vdb,
    ),
  };
  expect(expected.total).toBeGreaterThan(1_000_000);

  const auditor = await createUser(request, "AUDITOR");
  await login(page, auditor.email, auditor.password);

  // --- the chart over 7 days counts every statement of that virtual database --------------------
  await page.goto(`/audit/sql?virtualDatabase=${vdb}&range=7d`);
  await expect(page.getByRole("heading", { level: 1, name: "SQL audit log" })).toBeVisible();
  expect(await chartTotals(page)).toEqual(expected);

  // --- newest first, 50 a page; "Load more" walks on by keyset, never repeating a row -----------
  const table = statementsTable(page);
  await expect(table.getByRole("row")).toHaveCount(1 + 50, { timeout: 30_000 });
  for (let pages = 2; pages <= 5; pages++) {
    await page.getByRole("button", { name: "Load more" }).click();
    await expect(table.getByRole("row")).toHaveCount(1 + 50 * pages, { timeout: 30_000 });
  }
  await expect(page.getByText("250 statements shown")).toBeVisible();
  const firstRows = await table.getByRole("row").allInnerTexts();
  expect(new Set(firstRows).size).toBe(firstRows.length);

  // --- a rare table: every row shown touches it ------------------------------------------------
  // (The generator puts fingerprint f in virtual database f % 5 and gives it table t<f>, the higher
  // the rarer: t395 and, below, "UPDATE public.t385 SET" belong to "orders".)
  await page.goto(`/audit/sql?virtualDatabase=${vdb}&range=7d&table=public.t395`);
  await expect(page.getByLabel("Table")).toHaveValue("public.t395");
  const rare = await count(
    `SELECT count(*) AS n FROM sql_audit_event WHERE agent_name = $1 AND virtual_database = $2 AND tables @> '[{"schema":"public","name":"t395"}]'`,
    VOLUME_AGENT,
    vdb,
  );
  expect(rare).toBeGreaterThan(0);
  const rareRows = table.getByRole("row");
  await expect(rareRows).toHaveCount(1 + Math.min(50, rare), { timeout: 30_000 });
  for (const text of (await rareRows.allInnerTexts()).slice(1)) expect(text).toContain("public.t395");
  expect(await chartTotals(page)).toMatchObject({ total: rare });

  // --- free text, then only the denials ------------------------------------------------------------
  await page.goto(`/audit/sql?virtualDatabase=${vdb}&range=7d&text=${encodeURIComponent("t385 SET")}&decision=denied`);
  await expect(table.getByRole("row").nth(1)).toBeVisible({ timeout: 30_000 });
  for (const text of (await table.getByRole("row").allInnerTexts()).slice(1)) expect(text).toMatch(/t385 SET/i);
  await expect(table.getByRole("img", { name: "allowed", exact: true })).toHaveCount(0);

  // --- grouped by fingerprint: the busiest shape first, with the database's own count ----------------
  await page.goto(`/audit/sql?virtualDatabase=${vdb}&range=7d&view=fingerprints`);
  const groups = page.getByRole("table", { name: "Statements by fingerprint" });
  await expect(groups.getByRole("row").nth(1)).toBeVisible({ timeout: 30_000 });
  const busiest = await db.$queryRawUnsafe<{ fingerprint: string; n: bigint }[]>(
    `SELECT fingerprint, count(*) AS n FROM sql_audit_event WHERE virtual_database = $1 AND occurred_at >= now() - interval '7 days'
     GROUP BY fingerprint ORDER BY n DESC, fingerprint LIMIT 1`,
    vdb,
  );
  const top = groups.getByRole("row").nth(1);
  await expect(top).toContainText(busiest[0]!.fingerprint);
  expect(Number((await top.getByRole("cell").nth(1).innerText()).replace(/\D/g, ""))).toBe(Number(busiest[0]!.n));
});
