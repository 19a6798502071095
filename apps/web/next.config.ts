import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

// The monorepo root: workspace packages are TypeScript sources that Next compiles itself, and output
// tracing has to see files above apps/web.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  typedRoutes: false,
  transpilePackages: ["@dbmesh/api", "@dbmesh/backup", "@dbmesh/db", "@dbmesh/mesh", "@dbmesh/queue"],
  // Native or worker-thread-using server libraries stay plain Node requires instead of being bundled.
  serverExternalPackages: ["pg", "pino", "ioredis", "@prisma/adapter-pg"],
  outputFileTracingRoot: repoRoot,
  turbopack: { root: repoRoot },
};

export default nextConfig;
