// Test databases only (`prepare.sh --test`). The e2e control database outlives a checkout: CI runs on a
// fresh clone, which generates its own .dbmesh/secret.env, while endpoints earlier runs registered stay
// encrypted under their own key. One undecryptable endpoint password fails the whole agent config (on
// purpose: in production a wrong key must not hand agents a config without passwords — they keep their
// last-known-good one). Here, such passwords are cleared instead: the local test server trusts loopback.
import { decryptSecret } from "@dbmesh/api/secret-box";
import { createDb } from "@dbmesh/db";

const url = process.env.DATABASE_URL;
const key = process.env.DBMESH_SECRET_KEY;
if (!url || !key) throw new Error("heal-test-secrets: DATABASE_URL and DBMESH_SECRET_KEY must be set");
if (!/dbmesh_test/.test(url)) throw new Error(`heal-test-secrets refuses to touch ${url}: test databases only`);

const db = createDb(url, { max: 1 });
try {
  const endpoints = await db.databaseEndpoint.findMany({ where: { passwordEnc: { not: null } }, select: { id: true, name: true, passwordEnc: true } });
  const stale = endpoints.filter((e) => {
    try {
      decryptSecret(e.passwordEnc!, key);
      return false;
    } catch {
      return true;
    }
  });
  if (stale.length > 0) {
    await db.databaseEndpoint.updateMany({ where: { id: { in: stale.map((e) => e.id) } }, data: { passwordEnc: null } });
    console.log(`[prepare] cleared ${stale.length} endpoint password(s) encrypted under another checkout's key: ${stale.map((e) => e.name).join(", ")}`);
  }
} finally {
  await db.$disconnect();
}
