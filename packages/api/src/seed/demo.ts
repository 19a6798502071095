import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "@dbmesh/db";
import { demoMesh, type MeshDefinition } from "@dbmesh/mesh";
import type { Context } from "../context";
import type { ApiEnv } from "../env";
import { logger } from "../logger";
import { newId } from "../ids";
import { generatePassword, hashPassword, verifyPassword } from "../crypto/password";
import { newSecretToken, sha256Hex } from "../crypto/token";
import { API_TOKEN_PREFIX } from "../auth/api-tokens";
import { scramVerifier, scramVerifierMatches } from "../crypto/scram";
import { AGENT_TOKEN_PREFIX } from "../services/agents";
import { mutate } from "../services/mutation";
import { bumpMeshRevision } from "../mesh-revision";
import { saveAccessRule } from "../services/mesh/access-rules";
import { saveEndpoint } from "../services/mesh/endpoints";
import { saveEnvironment } from "../services/mesh/environments";
import { defaultApprovalsFor } from "../services/self-service/policy";
import { saveStrategy } from "../services/mesh/traffic-strategies";
import { saveVirtualDatabase } from "../services/mesh/virtual-databases";

export const DEMO_ADMIN_EMAIL = "admin@dbmesh.local";

export type DemoLogin = {
  DBMESH_ADMIN_EMAIL: string;
  DBMESH_ADMIN_PASSWORD: string;
  DBMESH_ADMIN_TOKEN: string;
};

export const DEMO_CREDENTIAL = "demo_app";
export const LOCAL_AGENT = "local";

export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export function systemContext(db: Db, env: ApiEnv): Context {
  return {
    db,
    env,
    log: logger,
    actor: { kind: "system", userId: "system", email: "seed@dbmesh", name: "dbmesh seed", role: "ADMIN", mfaSatisfied: true },
    ip: null,
    userAgent: null,
    csrfOk: true,
    https: false,
    resHeaders: new Headers(),
    sessionToken: null,
  };
}

/**
 * The demo mesh pointed at a real database: every endpoint of the fixture is re-aimed at the demo
 * database's server, so the console's "test connection" and (later) the agent work out of the box.
 */
export function demoMeshFor(demoDbUrl: string): MeshDefinition {
  const url = new URL(demoDbUrl);
  return {
    ...demoMesh,
    endpoints: demoMesh.endpoints.map((e) => ({
      ...e,
      host: url.hostname,
      port: Number(url.port || 5432),
      database: decodeURIComponent(url.pathname.slice(1)),
      username: decodeURIComponent(url.username || "postgres"),
      password: url.password ? decodeURIComponent(url.password) : undefined,
    })),
  };
}

/** Creates what is missing (by name) and never overwrites what a user changed: safe to run twice. */
export async function seedDemoMesh(ctx: Context, mesh: MeshDefinition): Promise<number> {
  let created = 0;
  // The revision moves only when something was created: a second run must change nothing.
  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    const track = async (objectType: string, name: string, exists: unknown, save: () => Promise<{ id: string; after: unknown }>) => {
      if (exists) return;
      const saved = await save();
      created += 1;
      await audit({ action: `${objectType}.create`, objectType, objectId: saved.id, objectName: name, after: saved.after });
    };
    for (const e of mesh.environments)
      await track("environment", e.name, await tx.environment.findUnique({ where: { name: e.name } }), async () => {
        const saved = await saveEnvironment(tx, e);
        // Self-service request policy: dev approves itself, production needs two DBAs.
        await tx.environment.update({ where: { id: saved.id }, data: { requestApprovalsRequired: defaultApprovalsFor(e) } });
        return saved;
      });
    for (const e of mesh.endpoints)
      await track("endpoint", e.name, await tx.databaseEndpoint.findUnique({ where: { name: e.name } }), () =>
        saveEndpoint(tx, e, ctx.env.DBMESH_SECRET_KEY),
      );
    for (const s of mesh.trafficStrategies)
      await track("traffic_strategy", s.name, await tx.trafficStrategy.findUnique({ where: { name: s.name } }), () => saveStrategy(tx, s));
    for (const v of mesh.virtualDatabases)
      await track("virtual_database", v.name, await tx.virtualDatabase.findUnique({ where: { name: v.name } }), () => saveVirtualDatabase(tx, v));
    for (const r of mesh.accessRules)
      await track("access_rule", r.name, await tx.accessRule.findUnique({ where: { name: r.name } }), () => saveAccessRule(tx, r));
    if (created > 0) await bumpMeshRevision(tx);
  });
  return created;
}

/**
 * Makes sure the admin exists and that `.dbmesh/demo.env` holds a working password and API token
 * for it. A password or token that still works is kept, so running this twice changes nothing.
 */
export async function seedAdmin(ctx: Context, homeDir: string): Promise<DemoLogin> {
  const file = join(homeDir, "demo.env");
  const saved = readEnvFile(file);
  const db = ctx.db;
  let user = await db.user.findUnique({ where: { email: DEMO_ADMIN_EMAIL } });
  let password = saved.DBMESH_ADMIN_PASSWORD ?? "";
  const passwordWorks = user && password ? await verifyPassword(password, user.passwordHash) : false;
  if (!passwordWorks) password = generatePassword();
  const passwordHash = passwordWorks ? null : await hashPassword(password);

  let token = saved.DBMESH_ADMIN_TOKEN ?? "";
  const tokenRow = token ? await db.apiToken.findUnique({ where: { tokenHash: sha256Hex(token) } }) : null;
  const tokenWorks = !!tokenRow && !tokenRow.revokedAt && (!tokenRow.expiresAt || tokenRow.expiresAt > new Date()) && tokenRow.userId === user?.id;
  if (!tokenWorks) token = newSecretToken(API_TOKEN_PREFIX);

  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    if (!user) {
      user = await tx.user.create({
        data: { id: newId("usr"), email: DEMO_ADMIN_EMAIL, name: "Demo Admin", role: "ADMIN", passwordHash: passwordHash! },
      });
      await audit({ action: "user.create", objectType: "user", objectId: user.id, objectName: user.email, after: { email: user.email, role: "ADMIN" } });
    } else if (passwordHash) {
      await tx.user.update({ where: { id: user.id }, data: { passwordHash, disabled: false } });
      await audit({ action: "user.reset_password", objectType: "user", objectId: user.id, objectName: user.email });
    }
    if (!tokenWorks) {
      const row = await tx.apiToken.create({
        data: {
          id: newId("tok"),
          name: "demo (npm start)",
          prefix: token.slice(0, 10),
          tokenHash: sha256Hex(token),
          userId: user.id,
          expiresAt: new Date(Date.now() + 365 * 86400_000),
        },
      });
      await audit({ action: "api_token.create", objectType: "api_token", objectId: row.id, objectName: row.name });
    }
  });
  const login: DemoLogin = { DBMESH_ADMIN_EMAIL: DEMO_ADMIN_EMAIL, DBMESH_ADMIN_PASSWORD: password, DBMESH_ADMIN_TOKEN: token };
  mkdirSync(homeDir, { recursive: true });
  writeEnvFile(file, login);
  return login;
}

/**
 * The demo application credential (granted on every demo virtual database) and the token of the
 * local agent that `npm start` runs. Passwords and tokens that still work are kept.
 */
export async function seedDemoAccess(ctx: Context, homeDir: string, vdbNames: string[]) {
  const saved = { ...readEnvFile(join(homeDir, "demo.env")), ...readEnvFile(join(homeDir, "agent.env")) };
  const db = ctx.db;
  const cred = await db.credential.findUnique({ where: { name: DEMO_CREDENTIAL } });
  let password = saved.DBMESH_DEMO_PASSWORD ?? "";
  const passwordWorks = !!cred && !!password && scramVerifierMatches(password, cred.scramVerifier);
  if (!passwordWorks) password = generatePassword();

  const agent = await db.agent.findUnique({ where: { name: LOCAL_AGENT } });
  let token = saved.DBMESH_AGENT_TOKEN ?? "";
  const tokenWorks = !!agent && !agent.revokedAt && !!token && agent.tokenHash === sha256Hex(token);
  if (!tokenWorks) token = newSecretToken(AGENT_TOKEN_PREFIX);

  await mutate(ctx, { mesh: !passwordWorks }, async (tx, audit) => {
    if (!cred) {
      const vdbs = await tx.virtualDatabase.findMany({ where: { name: { in: vdbNames } }, select: { id: true } });
      const row = await tx.credential.create({
        data: {
          id: newId("cred"),
          name: DEMO_CREDENTIAL,
          description: "the demo application (npm start)",
          scramVerifier: scramVerifier(password),
          grants: { create: vdbs.map((v) => ({ virtualDatabaseId: v.id })) },
        },
      });
      await audit({ action: "credential.create", objectType: "credential", objectId: row.id, objectName: row.name, after: { virtualDatabases: vdbNames } });
    } else if (!passwordWorks) {
      await tx.credential.update({ where: { id: cred.id }, data: { scramVerifier: scramVerifier(password) } });
      await audit({ action: "credential.rotate", objectType: "credential", objectId: cred.id, objectName: cred.name });
    }
    if (!agent) {
      const row = await tx.agent.create({ data: { id: newId("agt"), name: LOCAL_AGENT, tokenHash: sha256Hex(token), tokenPrefix: token.slice(0, 12) } });
      await audit({ action: "agent.create", objectType: "agent", objectId: row.id, objectName: row.name });
    } else if (!tokenWorks) {
      await tx.agent.update({ where: { id: agent.id }, data: { tokenHash: sha256Hex(token), tokenPrefix: token.slice(0, 12), revokedAt: null } });
      await audit({ action: "agent.rotate_token", objectType: "agent", objectId: agent.id, objectName: agent.name });
    }
  });
  mkdirSync(homeDir, { recursive: true });
  writeEnvFile(join(homeDir, "agent.env"), { DBMESH_AGENT_NAME: LOCAL_AGENT, DBMESH_AGENT_TOKEN: token });
  writeEnvFile(join(homeDir, "demo.env"), { DBMESH_DEMO_PASSWORD: password });
  return { credential: DEMO_CREDENTIAL, password, agentToken: token };
}

/** Sets keys in an env file, keeping the others it holds. */
export function writeEnvFile(path: string, values: Record<string, string>) {
  const merged = { ...readEnvFile(path), ...values };
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, Object.entries(merged).map(([k, v]) => `${k}=${v}`).join("\n") + "\n", { mode: 0o600 });
}
