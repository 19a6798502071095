import { expect, test } from "@playwright/test";

test("GET /api/health reports the database and Redis", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ status: "ok", db: "ok", redis: "ok" });
  expect(res.headers()["cache-control"]).toBe("no-store");
});

test("the audit CSV export needs a session or token with the right role", async ({ request }) => {
  expect((await request.get("/api/audit/export")).status()).toBe(401);
});
