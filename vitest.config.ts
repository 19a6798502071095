import { defineConfig } from "vitest/config";

// A fixed key so that integration tests never depend on a developer's .dbmesh/secret.env.
const TEST_SECRET_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

const ignored = ["**/node_modules/**", "**/.next/**", "e2e/**", "**/generated/**"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: [...ignored, "**/*.int.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["**/*.int.test.ts"],
          exclude: ignored,
          environment: "node",
          // Each file works in its own database (createTestDatabase) or Redis prefix.
          fileParallelism: true,
          testTimeout: 30_000,
          hookTimeout: 30_000,
          env: { DBMESH_SECRET_KEY: process.env.DBMESH_SECRET_KEY ?? TEST_SECRET_KEY },
        },
      },
    ],
  },
});
