// Integration-test harness: a fresh migrated database per test file, real users with real API
// tokens and sessions, and callers that go through the same createContext as HTTP requests.
import { createTestDatabase, type TestDatabase } from "@dbmesh/db/testing";
import { createContext, type Context } from "../context";
import { apiEnv, type ApiEnv } from "../env";
import { logger } from "../logger";
import { newId } from "../ids";
import { hashPassword } from "../crypto/password";
import { newSecretToken, sha256Hex } from "../crypto/token";
import { createSession } from "../auth/sessions";
import { API_TOKEN_PREFIX } from "../auth/api-tokens";
import type { Role } from "../permissions";
import { appRouter } from "../root";
import { createCallerFactory } from "../trpc";

export const TEST_PASSWORD = "correct-horse-battery-staple-42";
const createCaller = createCallerFactory(appRouter);
export type Caller = ReturnType<typeof createCaller>;

export interface Harness {
  tdb: TestDatabase;
  env: ApiEnv;
  /** A user of the role, created on first use, and a caller authenticated by its API token. */
  as(role: Role): Promise<Caller>;
  /** The context behind a request; exposed for tests that look at cookies or CSRF. */
  contextFor(req: Request): Promise<Context>;
  callerFor(req: Request): Promise<Caller>;
  anonymous(): Promise<Caller>;
  createUser(role: Role, email?: string): Promise<{ id: string; email: string; token: string }>;
  sessionCookieFor(userId: string): Promise<string>;
  close(): Promise<void>;
}

export async function createHarness(envOverrides: Partial<Record<string, string>> = {}): Promise<Harness> {
  const tdb = await createTestDatabase();
  const env = apiEnv({ ...process.env, DATABASE_URL: tdb.url, ...envOverrides });
  const users = new Map<Role, { id: string; email: string; token: string }>();
  const passwordHash = await hashPassword(TEST_PASSWORD);

  const createUser = async (role: Role, email = `${role.toLowerCase()}-${newId("u")}@example.test`) => {
    const id = newId("usr");
    const token = newSecretToken(API_TOKEN_PREFIX);
    await tdb.db.user.create({ data: { id, email, name: `${role} tester`, role, passwordHash } });
    await tdb.db.apiToken.create({
      data: { id: newId("tok"), name: "test", prefix: token.slice(0, 10), tokenHash: sha256Hex(token), userId: id },
    });
    return { id, email, token };
  };
  const contextFor = (req: Request) => createContext({ db: tdb.db, env, log: logger, req });
  const callerFor = async (req: Request) => createCaller(await contextFor(req));
  return {
    tdb,
    env,
    createUser,
    contextFor,
    callerFor,
    async as(role) {
      if (!users.has(role)) users.set(role, await createUser(role));
      const u = users.get(role)!;
      return callerFor(new Request("http://127.0.0.1/api/trpc", { headers: { authorization: `Bearer ${u.token}`, "x-forwarded-for": "10.1.2.3" } }));
    },
    anonymous: () => callerFor(new Request("http://127.0.0.1/api/trpc", { headers: { "x-dbmesh-csrf": "1" } })),
    async sessionCookieFor(userId) {
      const s = await createSession(tdb.db, env, { id: userId }, { ip: "127.0.0.1", userAgent: "vitest", mfaPassed: false });
      return `dbmesh_session=${s.token}`;
    },
    close: () => tdb.drop(),
  };
}

/** Calls a procedure by its dotted path ("endpoint.create"). */
export function callByPath(caller: Caller, path: string, input: unknown): Promise<unknown> {
  let target: unknown = caller;
  for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
  return (target as (i: unknown) => Promise<unknown>)(input);
}
