import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentTotp } from "./auth/totp";
import { createHarness, TEST_PASSWORD, type Harness } from "./testing/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const browser = (headers: Record<string, string> = {}) =>
  new Request("http://127.0.0.1:3000/api/trpc", { headers: { "x-dbmesh-csrf": "1", "x-forwarded-for": "192.0.2.7", ...headers } });

async function login(email: string, password: string, totpCode?: string, ip = "192.0.2.7") {
  const ctx = await h.contextFor(browser({ "x-forwarded-for": ip }));
  const { appRouter } = await import("./root");
  const { createCallerFactory } = await import("./trpc");
  const result = await createCallerFactory(appRouter)(ctx).auth.login({ email, password, totpCode });
  const cookie = ctx.resHeaders.get("set-cookie");
  return { result, cookie };
}

const cookieOf = (setCookie: string | null) => setCookie!.split(";")[0]!;

describe("sign-in", () => {
  it("sets an httpOnly SameSite session cookie that authenticates later requests", async () => {
    const u = await h.createUser("DBA", "signin@example.test");
    const { result, cookie } = await login(u.email, TEST_PASSWORD);
    expect(result).toEqual({ status: "ok", mfaEnrollmentRequired: false });
    expect(cookie).toMatch(/^dbmesh_session=dbs_[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Expires=/);
    const me = await (await h.callerFor(browser({ cookie: cookieOf(cookie) }))).auth.me();
    expect(me).toMatchObject({ email: u.email, role: "DBA", via: "user" });
    const audit = await h.tdb.db.auditEvent.findFirst({ where: { action: "auth.login", actorEmail: u.email } });
    expect(audit?.ip).toBe("192.0.2.7");
  });

  it("refuses a wrong password with the same message as an unknown email, and audits both", async () => {
    const u = await h.createUser("DEVELOPER", "wrongpw@example.test");
    await expect(login(u.email, "not-the-password-at-all")).rejects.toThrow("email or password is wrong");
    await expect(login("nobody@example.test", "whatever-password")).rejects.toThrow("email or password is wrong");
    expect(await h.tdb.db.auditEvent.count({ where: { action: "auth.login_failed" } })).toBeGreaterThanOrEqual(2);
  });

  it("throttles after 5 failures for one user in 5 minutes, even with the right password then", async () => {
    const u = await h.createUser("DEVELOPER", "throttle@example.test");
    for (let i = 0; i < 5; i++) await expect(login(u.email, "wrong-password-" + i, undefined, `198.51.100.${i}`)).rejects.toThrow(/wrong/);
    await expect(login(u.email, TEST_PASSWORD, undefined, "198.51.100.99")).rejects.toThrow(/too many failed sign-ins for this account/);
  });

  it("throttles an address after 20 failures across accounts", async () => {
    for (let i = 0; i < 20; i++) await expect(login(`spray${i}@example.test`, "wrong-password", undefined, "203.0.113.50")).rejects.toThrow(/wrong/);
    const u = await h.createUser("DEVELOPER", "victim@example.test");
    await expect(login(u.email, TEST_PASSWORD, undefined, "203.0.113.50")).rejects.toThrow(/too many failed sign-ins from your address/);
    await expect(login(u.email, TEST_PASSWORD, undefined, "203.0.113.51")).resolves.toMatchObject({ result: { status: "ok" } });
  });

  it("ends the sessions of a user who is disabled", async () => {
    const u = await h.createUser("DEVELOPER", "tobedisabled@example.test");
    const { cookie } = await login(u.email, TEST_PASSWORD);
    const caller = () => h.callerFor(browser({ cookie: cookieOf(cookie) }));
    await expect((await caller()).auth.me()).resolves.toMatchObject({ email: u.email });
    const admin = await h.as("ADMIN");
    await admin.user.update({ id: u.id, name: "gone", role: "DEVELOPER", disabled: true });
    expect(await h.tdb.db.session.count({ where: { userId: u.id } })).toBe(0);
    await expect((await caller()).auth.me()).rejects.toThrow(/sign in first/);
    await expect(login(u.email, TEST_PASSWORD)).rejects.toThrow(/disabled/);
  });

  it("expires sessions after the idle timeout", async () => {
    const u = await h.createUser("AUDITOR", "idle@example.test");
    const { cookie } = await login(u.email, TEST_PASSWORD);
    await h.tdb.db.session.updateMany({ where: { userId: u.id }, data: { lastSeenAt: new Date(Date.now() - 61 * 60_000) } });
    await expect((await h.callerFor(browser({ cookie: cookieOf(cookie) }))).auth.me()).rejects.toThrow(/sign in first/);
  });

  it("logout deletes the session and clears the cookie", async () => {
    const u = await h.createUser("AUDITOR", "logout@example.test");
    const { cookie } = await login(u.email, TEST_PASSWORD);
    const ctx = await h.contextFor(browser({ cookie: cookieOf(cookie) }));
    const { appRouter } = await import("./root");
    const { createCallerFactory } = await import("./trpc");
    await createCallerFactory(appRouter)(ctx).auth.logout();
    expect(ctx.resHeaders.get("set-cookie")).toMatch(/Max-Age=0/);
    await expect((await h.callerFor(browser({ cookie: cookieOf(cookie) }))).auth.me()).rejects.toThrow(/sign in first/);
  });
});

describe("password policy", () => {
  it("refuses short and common passwords with a clear message", async () => {
    const admin = await h.as("ADMIN");
    await expect(admin.user.create({ email: "short@example.test", name: "S", role: "DBA", password: "Sh0rt!" })).rejects.toThrow(/at least 12 characters/);
    await expect(admin.user.create({ email: "common@example.test", name: "C", role: "DBA", password: "password1234" })).rejects.toThrow(/too common/);
    await expect(admin.user.create({ email: "qwerty@example.test", name: "Q", role: "DBA", password: "qwertyuiop123" })).rejects.toThrow(/too common/);
    const created = await admin.user.create({ email: "strong@example.test", name: "Strong", role: "DBA" });
    expect(created.password).toMatch(/^[\w-]{20,}$/);
    await expect(login("strong@example.test", created.password!)).resolves.toMatchObject({ result: { status: "ok" } });
  });
});

describe("API tokens", () => {
  it("are shown once, stored hashed, act as their creator's role, and stop working when revoked or expired", async () => {
    const dev = await h.createUser("DEVELOPER", "tokens@example.test");
    const devCaller = await h.callerFor(new Request("http://x/api/trpc", { headers: { authorization: `Bearer ${dev.token}` } }));
    const created = await devCaller.apiToken.create({ name: "ci", expiresInDays: 30 });
    expect(created.token).toMatch(/^dbm_/);
    const row = await h.tdb.db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).not.toContain(created.token);
    expect(JSON.stringify(await devCaller.apiToken.list())).not.toContain(created.token);

    const viaToken = await h.callerFor(new Request("http://x/api/trpc", { headers: { authorization: `Bearer ${created.token}` } }));
    expect(await viaToken.auth.me()).toMatchObject({ role: "DEVELOPER", via: "token" });
    await expect(viaToken.endpoint.create({ name: "x", environment: "x", host: "h", port: 1, database: "d", username: "u" })).rejects.toThrow(/may not call endpoint.create/);

    await devCaller.apiToken.revoke({ id: created.id });
    const revoked = await h.callerFor(new Request("http://x/api/trpc", { headers: { authorization: `Bearer ${created.token}` } }));
    await expect(revoked.auth.me()).rejects.toThrow(/sign in first/);

    const second = await devCaller.apiToken.create({ name: "short-lived", expiresInDays: 1 });
    await h.tdb.db.apiToken.update({ where: { id: second.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await h.callerFor(new Request("http://x/api/trpc", { headers: { authorization: `Bearer ${second.token}` } }));
    await expect(expired.auth.me()).rejects.toThrow(/sign in first/);
  });
});

describe("two-factor (TOTP)", () => {
  it("enrolls, then requires the code at sign-in", async () => {
    const u = await h.createUser("DBA", "totp@example.test");
    const { cookie } = await login(u.email, TEST_PASSWORD);
    const caller = await h.callerFor(browser({ cookie: cookieOf(cookie) }));
    const { secret, uri } = await caller.auth.totpBegin();
    expect(uri).toMatch(/^otpauth:\/\/totp\/dbmesh:/);
    await expect(caller.auth.totpConfirm({ code: "000000" })).rejects.toThrow(/wrong or expired/);
    await caller.auth.totpConfirm({ code: currentTotp(secret, u.email) });
    expect((await login(u.email, TEST_PASSWORD)).result).toEqual({ status: "totp_required" });
    await expect(login(u.email, TEST_PASSWORD, "123456")).rejects.toThrow(/two-factor code is wrong/);
    expect((await login(u.email, TEST_PASSWORD, currentTotp(secret, u.email))).result).toMatchObject({ status: "ok" });
  });

  it("when the policy requires it for a role, an unenrolled user can only enroll", async () => {
    const strict = await createHarnessWithPolicy();
    try {
      const u = await strict.createUser("ADMIN", "mustenroll@example.test");
      const ctx = await strict.contextFor(browser());
      const { appRouter } = await import("./root");
      const { createCallerFactory } = await import("./trpc");
      const result = await createCallerFactory(appRouter)(ctx).auth.login({ email: u.email, password: TEST_PASSWORD });
      expect(result).toEqual({ status: "ok", mfaEnrollmentRequired: true });
      const caller = await strict.callerFor(browser({ cookie: cookieOf(ctx.resHeaders.get("set-cookie")) }));
      await expect(caller.endpoint.list()).rejects.toThrow(/two-factor authentication is required/);
      const { secret } = await caller.auth.totpBegin();
      await caller.auth.totpConfirm({ code: currentTotp(secret, u.email) });
      // The next request of the same session is through.
      const after = await strict.callerFor(browser({ cookie: cookieOf(ctx.resHeaders.get("set-cookie")) }));
      await expect(after.endpoint.list()).resolves.toEqual([]);
      // A DEVELOPER is not covered by the policy.
      const dev = await strict.createUser("DEVELOPER");
      const devCaller = await strict.callerFor(new Request("http://x/api/trpc", { headers: { authorization: `Bearer ${dev.token}` } }));
      await expect(devCaller.endpoint.list()).resolves.toEqual([]);
    } finally {
      await strict.close();
    }
  });
});

async function createHarnessWithPolicy() {
  const { createHarness } = await import("./testing/harness");
  return createHarness({ DBMESH_REQUIRE_MFA_ROLES: "ADMIN,DBA" });
}
