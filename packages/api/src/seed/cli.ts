// `npm start` / `npm test` run this after migrating: seeds the demo mesh and admin, idempotently,
// and writes the login to .dbmesh/demo.env.
import { resolve } from "node:path";
import { createDb } from "@dbmesh/db";
import { apiEnv } from "../env";
import { demoMeshFor, seedAdmin, seedDemoMesh, systemContext } from "./demo";

const env = apiEnv();
const home = resolve(process.env.DBMESH_HOME ?? ".dbmesh");
const demoDbUrl = process.env.DBMESH_DEMO_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/dbmesh_demo";
const db = createDb(env.DATABASE_URL, { max: 2 });
try {
  const ctx = systemContext(db, env);
  const created = await seedDemoMesh(ctx, demoMeshFor(demoDbUrl));
  const login = await seedAdmin(ctx, home);
  process.stdout.write(
    `seed: ${created} demo mesh object(s) created; admin login ${login.DBMESH_ADMIN_EMAIL} (written to ${home}/demo.env)\n`,
  );
} finally {
  await db.$disconnect();
}
