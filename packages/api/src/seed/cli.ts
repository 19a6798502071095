// `npm start` / `npm test` run this after migrating: seeds the demo mesh and admin, idempotently,
// and writes the login to .dbmesh/demo.env.
import { resolve } from "node:path";
import { createDb } from "@dbmesh/db";
import { apiEnv } from "../env";
import { join } from "node:path";
import { demoMeshFor, seedAdmin, seedDemoAccess, seedDemoMesh, systemContext, writeEnvFile } from "./demo";
import { seedEnvironmentStages } from "./schema-pipeline";

const env = apiEnv();
const home = resolve(process.env.DBMESH_HOME ?? ".dbmesh");
const demoDbUrl = process.env.DBMESH_DEMO_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/dbmesh_demo";
const db = createDb(env.DATABASE_URL, { max: 2 });
try {
  const ctx = systemContext(db, env);
  const mesh = demoMeshFor(demoDbUrl);
  const created = await seedDemoMesh(ctx, mesh);
  await seedEnvironmentStages(ctx);
  const login = await seedAdmin(ctx, home);
  const access = await seedDemoAccess(ctx, home, mesh.virtualDatabases.map((v) => v.name));
  // What an application uses: the demo credential through the local agent, never a backend login.
  const agentListen = process.env.DBMESH_AGENT_LISTEN ?? "127.0.0.1:6432";
  const metricsListen = process.env.DBMESH_AGENT_METRICS_LISTEN ?? "127.0.0.1:9187";
  writeEnvFile(join(home, "demo.env"), {
    DBMESH_DEMO_DSN: `postgresql://${access.credential}:${encodeURIComponent(access.password)}@${agentListen}/demo`,
    DBMESH_AGENT_METRICS_URL: `http://${metricsListen}/metrics`,
  });
  process.stdout.write(
    `seed: ${created} demo mesh object(s) created; admin login ${login.DBMESH_ADMIN_EMAIL} (written to ${home}/demo.env)\n`,
  );
} finally {
  await db.$disconnect();
}
