import { createTestDatabase, type TestDatabase } from "@dbmesh/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";

// server.ts reads its environment once, so this file points it at a test database and at a
// Redis port where nothing listens before importing it.
let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
  process.env.DATABASE_URL = tdb.url;
  process.env.REDIS_URL = "redis://127.0.0.1:1";
});
afterAll(async () => {
  const { getDb } = await import("./server");
  await getDb().$disconnect();
  await tdb?.drop();
});

it("answers 503 and names what is down", async () => {
  const { handleHealth } = await import("./server");
  const res = await handleHealth();
  expect(res.status).toBe(503);
  const body = (await res.json()) as Record<string, string>;
  expect(body.status).toBe("degraded");
  expect(body.db).toBe("ok");
  expect(body.redis).toMatch(/^down: /);
});
