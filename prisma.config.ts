import { defineConfig } from "prisma/config";

// The CLI is only used for `generate` here (see shared NOTES: migrate needs a native engine that
// cannot be downloaded); migrations are applied by packages/db's runner, in Prisma's own layout.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/dbmesh" },
});
