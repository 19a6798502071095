import type { MeshDefinition } from "@dbmesh/mesh";
import { decryptSecret } from "../../crypto/secret-box";
import type { Tx } from "../mutation";
import { listAccessRules } from "./access-rules";
import { listEndpoints } from "./endpoints";
import { listEnvironments } from "./environments";
import { listStrategies } from "./traffic-strategies";
import { listVirtualDatabases, specOfVirtualDatabase } from "./virtual-databases";

/**
 * The whole mesh as a MeshDefinition. Without a key, endpoint passwords are left out (export,
 * diff); with one they are decrypted (only for compiling an agent config).
 */
export async function loadMeshDefinition(tx: Tx, opts: { secretKey?: string } = {}): Promise<MeshDefinition> {
  // Sequential on purpose: inside an interactive transaction these share one connection.
  const environments = await listEnvironments(tx);
  const endpoints = await listEndpoints(tx);
  const strategies = await listStrategies(tx);
  const vdbs = await listVirtualDatabases(tx);
  const rules = await listAccessRules(tx);
  const passwords = new Map<string, string>();
  if (opts.secretKey) {
    const rows = await tx.databaseEndpoint.findMany({ select: { name: true, passwordEnc: true } });
    for (const r of rows) if (r.passwordEnc) passwords.set(r.name, decryptSecret(r.passwordEnc, opts.secretKey));
  }
  return {
    environments: environments.map(({ name, description, production }) => ({ name, description, production })),
    endpoints: endpoints.map(({ id: _i, hasPassword: _h, createdAt: _c, updatedAt: _u, ...e }) =>
      passwords.has(e.name) ? { ...e, password: passwords.get(e.name) } : e,
    ),
    trafficStrategies: strategies.map(({ id: _i, usedBy: _b, createdAt: _c, updatedAt: _u, ...s }) => s),
    virtualDatabases: vdbs.map((v) => specOfVirtualDatabase(v)),
    accessRules: rules.map(({ id: _i, createdAt: _c, updatedAt: _u, ...r }) => r),
  };
}
