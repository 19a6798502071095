import { defineConfig } from "@playwright/test";
import { readTestEnv, REPO_ROOT } from "./fixtures/test-env";

// The console under test: the production build of apps/web, started by Playwright against the
// test databases that `scripts/prepare.sh --test` migrated and seeded.
const PORT = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${PORT}`;
const env = readTestEnv();
// Console and worker share it; each checkout has its own, so parallel runs never take each other's jobs.
const QUEUE_PREFIX = process.env.DBMESH_QUEUE_PREFIX ?? "dbmesh-e2e";

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // Two cores: the server, Postgres and the browser share them.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: [
    {
      // The same server `npm start` runs: Next plus the agent protocol on node:http.
      command: `npx tsx server.ts`,
      cwd: `${REPO_ROOT}/apps/web`,
      url: `${baseURL}/api/health`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: "ignore",
      stderr: "pipe",
      env: {
        DATABASE_URL: env.DATABASE_URL,
        REDIS_URL: env.REDIS_URL,
        DBMESH_SECRET_KEY: env.DBMESH_SECRET_KEY,
        DBMESH_QUEUE_PREFIX: QUEUE_PREFIX,
        LOG_LEVEL: "warn",
        DBMESH_WEB_HOST: "127.0.0.1",
        DBMESH_WEB_PORT: String(PORT),
      },
    },
    {
      // The worker: backups and restores, the schema pipeline's checks, rollouts and drift detection,
      // self-service provisioning. Its own queue prefix per checkout.
      name: "worker",
      command: `npx tsx apps/worker/src/main.ts`,
      cwd: REPO_ROOT,
      wait: { stdout: /"msg":"worker started"/ },
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
      env: {
        DATABASE_URL: env.DATABASE_URL,
        REDIS_URL: env.REDIS_URL,
        DBMESH_SECRET_KEY: env.DBMESH_SECRET_KEY,
        DBMESH_QUEUE_PREFIX: QUEUE_PREFIX,
        DBMESH_BACKUP_ROOT: `${REPO_ROOT}/.dbmesh/test`,
        DBMESH_BACKUP_HEARTBEAT_MS: "500",
        LOG_LEVEL: "info",
        PATH: process.env.PATH ?? "",
      },
    },
  ],
});
