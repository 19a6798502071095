import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSecret } from "../../crypto/secret-box";
import { createHarness, type Caller, type Harness } from "../../testing/harness";
import { connectThroughAgent, dropPrefixed } from "../../testing/self-service";
import { SelfServiceStack } from "../../testing/self-service-stack";

// The SCHEMA placement end to end, against the same real components as self-service.int.test.ts (local
// PostgreSQL, Redis + the real worker process, the real agent): two developers' schemas in one shared
// database, each reachable through the agent with its own credential, neither able to reach the other's
// schema or create in the shared database's public schema, and a decommission that drops one schema and
// its role while the shared database and the other schema stay.

const RUN = `ssc${randomBytes(3).toString("hex")}`;
const PREFIX = `dbmesh-${RUN}`;
const SHARED = `${RUN}_shared`;
const ALPHA = `${RUN}-alpha`;
const BETA = `${RUN}-beta`;
const ALPHA_SCHEMA = `${RUN}_alpha`;
const BETA_SCHEMA = `${RUN}_beta`;

let h: Harness;
let dev: Caller;
let dba: Caller;
let stack: SelfServiceStack;

function localClient(database: string, user = "postgres", password?: string) {
  const c = new pg.Client({ host: "127.0.0.1", port: 5432, user, password, database });
  c.on("error", () => {});
  return c;
}

async function asAdmin<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = localClient(database);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The owner role's own session on the shared database, straight to PostgreSQL: the database's boundary. */
async function ownerSession(vdb: string): Promise<pg.Client> {
  const ep = await h.tdb.db.databaseEndpoint.findUniqueOrThrow({ where: { name: `${vdb}-primary` } });
  const c = localClient(ep.database, ep.username, decryptSecret(ep.passwordEnc!, h.env.DBMESH_SECRET_KEY));
  await c.connect();
  return c;
}

const schemaExists = (schema: string) => asAdmin(SHARED, async (c) => (await c.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).rowCount === 1);
const roleExists = (role: string) => asAdmin("postgres", async (c) => (await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount === 1);

beforeAll(async () => {
  h = await createHarness({ DBMESH_QUEUE_PREFIX: PREFIX });
  dev = await h.as("DEVELOPER");
  dba = await h.as("DBA");
  // The shared database a DBA keeps, with a table of its own that no provisioned role may read.
  await asAdmin("postgres", (c) => c.query(`CREATE DATABASE ${SHARED}`));
  await asAdmin(SHARED, (c) => c.query("CREATE TABLE public.house_secret (v text); INSERT INTO public.house_secret VALUES ('not yours')"));
  for (const [name, approvals, database] of [["dev", 0, SHARED], ["staging", 1, "postgres"]] as const) {
    const env = await dba.environment.create({ name });
    await dba.databaseRequest.setPolicy({ environmentId: env.id, requestApprovalsRequired: approvals, credentialLeaseTtlHours: 24, credentialRotationGraceSeconds: 4, decommissionGraceHours: 24 });
    await dba.endpoint.create({ name: `pg-${name}`, environment: name, host: "127.0.0.1", port: 5432, database, username: "postgres" });
  }
  const { token } = await dba.agent.create({ name: "self-service-schema-test" });
  stack = await SelfServiceStack.start(h, PREFIX, token);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  // The shared database goes first (with the schemas and privileges in it), then the roles.
  await dropPrefixed(RUN);
  await h?.close();
}, 60_000);

const secrets: Record<string, { credential: string; password: string; requestId: string }> = {};
const base = { kind: "NEW_DATABASE" as const, purpose: "schema placement test", team: "shop", placement: "SCHEMA" as const };

describe("self-service: a schema in a shared database", () => {
  it("validates the placement choice", async () => {
    await expect(dev.databaseRequest.submit({ ...base, virtualDatabase: `${RUN}-bad`, environment: "dev", placement: "TABLESPACE" as never })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("provisions a schema in the database the DBA picks: owner role, schema, grants, registration and a credential that works through the agent", async () => {
    const submitted = await dev.databaseRequest.submit({ ...base, virtualDatabase: ALPHA, environment: "staging" });
    expect(submitted.status).toBe("PENDING");
    const queued = (await dba.databaseRequest.list({})).find((r) => r.id === submitted.id);
    expect(queued?.placement).toBe("SCHEMA");
    await expect(dba.databaseRequest.approve({ id: submitted.id, sharedDatabase: "no spaces" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await dba.databaseRequest.approve({ id: submitted.id, sharedDatabase: SHARED, comment: "into the shared one" });
    const ready = await stack.waitForStatus(dev, submitted.id, "READY");
    expect(ready).toMatchObject({ placement: "SCHEMA", backendDatabase: SHARED, backendSchema: ALPHA_SCHEMA });
    expect(ready.steps.map((s) => [s.step, s.status])).toEqual([
      ["owner-role", "DONE"],
      ["schema", "DONE"],
      ["schema-grants", "DONE"],
      ["extensions", "SKIPPED"],
      ["register", "DONE"],
      ["lease", "DONE"],
    ]);
    const vdb = await h.tdb.db.virtualDatabase.findUniqueOrThrow({ where: { name: ALPHA }, include: { accessRules: true } });
    expect(vdb.accessDefault).toBe("deny");
    expect(vdb.accessRules.map((r) => r.tables)).toEqual([[`${ALPHA_SCHEMA}.*`]]);
    const role = await asAdmin("postgres", async (c) =>
      (
        await c.query(
          `SELECT rolsuper, rolcreaterole, rolcreatedb, rolvaliduntil, pg_has_role(rolname, 'pg_execute_server_program', 'MEMBER') AS exec
             FROM pg_roles WHERE rolname = $1`,
          [`${ALPHA_SCHEMA}_owner`],
        )
      ).rows[0],
    );
    expect(role).toMatchObject({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, exec: false });
    const cred = await h.tdb.db.credential.findUniqueOrThrow({ where: { name: `${ALPHA_SCHEMA}_app` } });
    expect(Math.abs(new Date(role.rolvaliduntil).getTime() - cred.expiresAt!.getTime())).toBeLessThan(1000);

    const secret = await dev.databaseRequest.revealPassword({ id: submitted.id });
    secrets.alpha = { ...secret, requestId: submitted.id };
    const c = await stack.connectWhenReady(secret.credential, secret.password, ALPHA);
    // The virtual database's initial search path is the schema: the agent judges unqualified names there and
    // starts the backend session there, so both resolve `items` to <schema>.items from the first statement.
    expect(vdb.searchPath).toEqual([ALPHA_SCHEMA]);
    expect((await c.query("SHOW search_path")).rows[0].search_path).toBe(ALPHA_SCHEMA);
    await c.query("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)");
    await c.query("INSERT INTO items (name) VALUES ('a'), ('b')");
    expect((await c.query("SELECT count(*)::int AS n FROM items")).rows[0].n).toBe(2);
    expect((await c.query(`SELECT count(*)::int AS n FROM ${ALPHA_SCHEMA}.items`)).rows[0].n).toBe(2);
    // Outside its schema the agent refuses: the shared database's own table, qualified or reached by a path.
    await expect(c.query("SELECT * FROM public.house_secret")).rejects.toMatchObject({ code: "42501", message: expect.stringMatching(/refused/) });
    await c.query("SET search_path TO public");
    await expect(c.query("SELECT * FROM house_secret")).rejects.toMatchObject({ code: "42501", message: expect.stringMatching(/public\.house_secret/) });
    await expect(c.query("SELECT count(*) FROM items")).rejects.toMatchObject({ code: "42501" });
    // RESET and DISCARD ALL go back to the initial path, on both sides.
    await c.query("RESET search_path");
    expect((await c.query("SELECT count(*)::int AS n FROM items")).rows[0].n).toBe(2);
    await c.query("SET search_path TO public");
    await c.query("DISCARD ALL");
    expect((await c.query("SHOW search_path")).rows[0].search_path).toBe(ALPHA_SCHEMA);
    expect((await c.query("SELECT count(*)::int AS n FROM items")).rows[0].n).toBe(2);
    await c.end();
    const where = await asAdmin(SHARED, async (cl) => (await cl.query("SELECT table_schema FROM information_schema.tables WHERE table_name = 'items'")).rows);
    expect(where).toEqual([{ table_schema: ALPHA_SCHEMA }]);

    // On the server itself the role's search_path is its schema: an unqualified table lands there.
    const own = await ownerSession(ALPHA);
    expect((await own.query("SHOW search_path")).rows[0].search_path).toBe(ALPHA_SCHEMA);
    await own.query("CREATE TABLE direct (x int)");
    expect((await own.query("SELECT current_database() AS d, (SELECT relnamespace::regnamespace::text FROM pg_class WHERE relname = 'direct') AS s")).rows[0]).toEqual({ d: SHARED, s: ALPHA_SCHEMA });
    await own.end();
  }, 90_000);

  it("defaults to the endpoint's own database; the roles cannot create in public, read the shared database's tables, or reach each other's schema", async () => {
    const submitted = await dev.databaseRequest.submit({ ...base, virtualDatabase: BETA, environment: "dev" });
    expect(submitted.status).toBe("APPROVED");
    const ready = await stack.waitForStatus(dev, submitted.id, "READY");
    expect(ready).toMatchObject({ backendDatabase: SHARED, backendSchema: BETA_SCHEMA, endpoint: { name: "pg-dev" } });
    const secret = await dev.databaseRequest.revealPassword({ id: submitted.id });
    secrets.beta = { ...secret, requestId: submitted.id };
    // The agent sends the path at login, so it holds even when the role's own setting is gone (a DBA reset it).
    await asAdmin(SHARED, (cl) => cl.query(`ALTER ROLE ${BETA_SCHEMA}_owner IN DATABASE ${SHARED} RESET search_path`));
    const c = await stack.connectWhenReady(secret.credential, secret.password, BETA);
    expect((await c.query("SHOW search_path")).rows[0].search_path).toBe(BETA_SCHEMA);
    await c.query("CREATE TABLE notes (body text)");
    await c.query("INSERT INTO notes VALUES ('beta only')");
    // The agent refuses another schema's table before the server sees it.
    await expect(c.query(`SELECT * FROM ${ALPHA_SCHEMA}.items`)).rejects.toThrow(/refused/);
    await c.end();

    // The real boundary: the database's own privileges, straight to PostgreSQL as the owner roles.
    const alpha = await ownerSession(ALPHA);
    await expect(alpha.query("CREATE TABLE public.sneaky (x int)")).rejects.toMatchObject({ code: "42501" });
    await expect(alpha.query(`SELECT * FROM ${BETA_SCHEMA}.notes`)).rejects.toMatchObject({ code: "42501" });
    await expect(alpha.query("SELECT * FROM public.house_secret")).rejects.toMatchObject({ code: "42501" });
    await expect(alpha.query(`CREATE TABLE ${BETA_SCHEMA}.intruder (x int)`)).rejects.toMatchObject({ code: "42501" });
    await alpha.end();
    const beta = await ownerSession(BETA);
    await expect(beta.query(`SELECT * FROM ${ALPHA_SCHEMA}.items`)).rejects.toMatchObject({ code: "42501" });
    await beta.end();
  }, 90_000);

  it("a job that fails on every attempt drops the schema and role it made, never the shared database", async () => {
    // Someone else's credential already holds the name the request would issue: the register step fails.
    await dba.credential.create({ name: `${RUN}_gamma_app`, virtualDatabases: [BETA] });
    const req = await dev.databaseRequest.submit({ ...base, virtualDatabase: `${RUN}-gamma`, environment: "dev" });
    const failed = await stack.waitForStatus(dev, req.id, "FAILED", 60_000);
    expect(failed.lastError).toMatch(/already exists and was not issued for this request/);
    expect(failed.steps.find((s) => s.step === "schema")?.status).toBe("DONE");
    expect(failed.steps.find((s) => s.step === "cleanup-schema")).toMatchObject({ status: "DONE", detail: `dropped schema ${RUN}_gamma from shared database ${SHARED}` });
    expect(failed.steps.find((s) => s.step === "cleanup-role")?.status).toBe("DONE");
    expect(await schemaExists(`${RUN}_gamma`)).toBe(false);
    expect(await roleExists(`${RUN}_gamma_owner`)).toBe(false);
    expect(await schemaExists(BETA_SCHEMA)).toBe(true);
    expect((await asAdmin(SHARED, (c) => c.query("SELECT v FROM public.house_secret"))).rows).toEqual([{ v: "not yours" }]);
  }, 90_000);

  it("decommissions a schema: a pg_dump of that schema only, then only the schema and its role are dropped", async () => {
    const req = await dev.databaseRequest.submit({ kind: "DECOMMISSION", virtualDatabase: ALPHA, purpose: "alpha is done" });
    await dba.databaseRequest.approve({ id: req.id, comment: "staging needs one approval" });
    const scheduled = await stack.waitForStatus(dev, req.id, "DECOMMISSION_SCHEDULED");
    const finalBackup = scheduled.steps.find((s) => s.step === "final-backup");
    expect(finalBackup).toMatchObject({ status: "DONE" });
    expect(finalBackup!.detail).toMatch(new RegExp(`^pg_dump -Fc of schema ${ALPHA_SCHEMA} of ${SHARED} to .*decommissioned/${SHARED}\\.${ALPHA_SCHEMA}-${req.id}\\.dump`));
    const dumpPath = join(stack.backupRoot, ".dbmesh/backups/decommissioned", `${SHARED}.${ALPHA_SCHEMA}-${req.id}.dump`);
    expect(readFileSync(dumpPath).subarray(0, 5).toString()).toBe("PGDMP");
    // The archive's table of contents: the schema's tables, nothing of the shared database or the other schema.
    const toc = execFileSync("pg_restore", ["-l", dumpPath], { encoding: "utf8" });
    expect(toc).toMatch(new RegExp(`TABLE ${ALPHA_SCHEMA} items`));
    expect(toc).not.toMatch(/house_secret/);
    expect(toc).not.toMatch(new RegExp(BETA_SCHEMA));

    await dba.databaseRequest.dropNow({ id: req.id, comment: "no need to wait" });
    const done = await stack.waitForStatus(dev, req.id, "DECOMMISSIONED");
    expect(done.steps.map((s) => s.step)).toEqual(expect.arrayContaining(["drop-schema", "drop-role"]));
    expect(done.steps.map((s) => s.step)).not.toContain("drop-database");
    expect(await schemaExists(ALPHA_SCHEMA)).toBe(false);
    expect(await roleExists(`${ALPHA_SCHEMA}_owner`)).toBe(false);
    // The shared database, its own table and the other schema are untouched.
    expect((await asAdmin(SHARED, (c) => c.query("SELECT v FROM public.house_secret"))).rows).toEqual([{ v: "not yours" }]);
    expect(await schemaExists(BETA_SCHEMA)).toBe(true);
    expect(await roleExists(`${BETA_SCHEMA}_owner`)).toBe(true);
    const beta = await connectThroughAgent(stack.agentPort, secrets.beta!.credential, secrets.beta!.password, BETA);
    expect((await beta.query(`SELECT body FROM ${BETA_SCHEMA}.notes`)).rows).toEqual([{ body: "beta only" }]);
    await beta.end();
  }, 90_000);
});
