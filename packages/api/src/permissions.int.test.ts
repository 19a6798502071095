import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "./root";
import { isAllowed, permissions, ROLES, type Role } from "./permissions";
import { callByPath, createHarness, type Harness } from "./testing/harness";

// Every procedure of the router, flattened to dotted paths, with its type.
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>).map(
  ([path, p]) => ({ path, type: p._def.type }),
);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    return err instanceof TRPCError ? err.code : `THROWN ${(err as Error).message}`;
  }
}

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

describe("the permission table", () => {
  it("has an entry for every procedure, and no entry without a procedure", () => {
    const paths = procedures.map((p) => p.path).sort();
    expect(paths.length).toBeGreaterThan(40);
    expect(paths.filter((p) => !(p in permissions))).toEqual([]);
    expect(Object.keys(permissions).filter((p) => !paths.includes(p))).toEqual([]);
  });
});

describe("every procedure against every role", () => {
  // The guard runs before input parsing, so an empty input tells allowed (BAD_REQUEST, NOT_FOUND,
  // OK…) from refused (FORBIDDEN) without side effects on real data.
  for (const role of ROLES) {
    it(`${role}: allowed exactly where the table says`, async () => {
      const caller = await h.as(role);
      const mismatches: string[] = [];
      for (const { path } of procedures) {
        if (path === "auth.logout") continue; // would only end a token-less session; covered in auth tests
        const code = await codeOf(callByPath(caller, path, undefined));
        const allowed = isAllowed(permissions[path], role as Role);
        const refused = code === "FORBIDDEN" || code === "UNAUTHORIZED";
        if (allowed === refused) mismatches.push(`${path}: expected ${allowed ? "allowed" : "refused"}, got ${code}`);
      }
      expect(mismatches).toEqual([]);
    });
  }

  it("anonymous callers reach only public procedures", async () => {
    const caller = await h.anonymous();
    for (const { path } of procedures) {
      const code = await codeOf(callByPath(caller, path, undefined));
      if (permissions[path] === "public") expect(code, path).not.toBe("UNAUTHORIZED");
      else expect(code, path).toBe("UNAUTHORIZED");
    }
  });

  it("DEVELOPER and AUDITOR cannot change endpoints or strategies, DBA cannot manage users", () => {
    for (const path of ["endpoint.create", "endpoint.update", "endpoint.delete", "trafficStrategy.update"]) {
      expect(isAllowed(permissions[path], "DEVELOPER"), path).toBe(false);
      expect(isAllowed(permissions[path], "AUDITOR"), path).toBe(false);
      expect(isAllowed(permissions[path], "DBA"), path).toBe(true);
    }
    for (const path of ["user.create", "user.update", "user.resetPassword", "user.list"]) {
      expect(isAllowed(permissions[path], "DBA"), path).toBe(false);
    }
    const auditorWrites = Object.keys(permissions).filter(
      (p) => isAllowed(permissions[p], "AUDITOR") && procedures.find((x) => x.path === p)?.type === "mutation" && !/^(auth|apiToken)\./.test(p),
    );
    expect(auditorWrites).toEqual([]);
  });
});

describe("schema pipeline permissions", () => {
  it("DEVELOPERs submit and discuss changes; only DBAs and ADMINs approve, deploy and edit review policies", () => {
    for (const path of ["changeRequest.create", "changeRequest.updateSql", "changeRequest.comment", "changeRequest.rerunChecks"]) {
      expect(isAllowed(permissions[path], "DEVELOPER"), path).toBe(true);
      expect(isAllowed(permissions[path], "AUDITOR"), path).toBe(false);
    }
    for (const path of ["changeRequest.approve", "changeRequest.requestChanges", "changeRequest.deployNext", "changeRequest.rollbackStage", "sqlReview.updatePolicy", "sqlReview.checkDriftNow"]) {
      expect(isAllowed(permissions[path], "DEVELOPER"), path).toBe(false);
      expect(isAllowed(permissions[path], "DBA"), path).toBe(true);
    }
    for (const path of ["changeRequest.list", "changeRequest.get", "changeRequest.history", "sqlReview.rules", "sqlReview.drift"]) {
      expect(isAllowed(permissions[path], "AUDITOR"), path).toBe(true);
    }
  });
});

describe("CSRF", () => {
  const mutations = procedures.filter((p) => p.type === "mutation").map((p) => p.path);

  it("refuses every mutation sent with a session cookie but without the header or a same-origin Origin", async () => {
    const admin = await h.createUser("ADMIN");
    const cookie = await h.sessionCookieFor(admin.id);
    const caller = await h.callerFor(new Request("http://127.0.0.1:3000/api/trpc", { headers: { cookie, origin: "http://evil.example" } }));
    expect(mutations.length).toBeGreaterThan(15);
    for (const path of mutations) {
      await expect(callByPath(caller, path, undefined), path).rejects.toThrow(/cross-site request refused/);
    }
  });

  it("lets the same mutations through with the custom header or from the same origin", async () => {
    const admin = await h.createUser("ADMIN");
    const cookie = await h.sessionCookieFor(admin.id);
    const withHeader = await h.callerFor(new Request("http://127.0.0.1:3000/api/trpc", { headers: { cookie, "x-dbmesh-csrf": "1" } }));
    const sameOrigin = await h.callerFor(
      new Request("http://127.0.0.1:3000/api/trpc", { headers: { cookie, host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000" } }),
    );
    for (const caller of [withHeader, sameOrigin]) {
      for (const path of mutations.filter((p) => p !== "auth.logout")) {
        const code = await codeOf(callByPath(caller, path, undefined));
        expect(code, path).not.toBe("FORBIDDEN");
      }
    }
  });
});
