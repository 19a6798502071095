import type { Db } from "@dbmesh/db";
import type { Actor } from "../context";
import type { ApiEnv } from "../env";
import { newId } from "../ids";
import { newSecretToken, sha256Hex } from "../crypto/token";
import type { Role } from "../permissions";

export const SESSION_COOKIE = "dbmesh_session";

/** Only refresh last_seen_at this often, so that reads do not turn into a write each. */
const TOUCH_EVERY_MS = 60_000;

export function mfaRequiredFor(env: ApiEnv, role: Role): boolean {
  return env.DBMESH_REQUIRE_MFA_ROLES.includes(role);
}

export async function createSession(
  db: Pick<Db, "session">,
  env: ApiEnv,
  user: { id: string },
  meta: { ip: string | null; userAgent: string | null; mfaPassed: boolean },
): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecretToken("dbs");
  const expiresAt = new Date(Date.now() + env.DBMESH_SESSION_MAX_HOURS * 3600_000);
  await db.session.create({
    data: {
      id: newId("ses"),
      tokenHash: sha256Hex(token),
      userId: user.id,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
      mfaPassed: meta.mfaPassed,
      expiresAt,
    },
  });
  return { token, expiresAt };
}

/** Resolves a cookie token to its user, enforcing the idle and absolute timeouts and `disabled`. */
export async function resolveSession(db: Db, env: ApiEnv, token: string): Promise<Actor | null> {
  const session = await db.session.findUnique({ where: { tokenHash: sha256Hex(token) }, include: { user: true } });
  if (!session) return null;
  const now = Date.now();
  const idleLimit = session.lastSeenAt.getTime() + env.DBMESH_SESSION_IDLE_MINUTES * 60_000;
  if (session.user.disabled || session.expiresAt.getTime() <= now || idleLimit <= now) {
    await db.session.deleteMany({ where: { id: session.id } });
    return null;
  }
  if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await db.session.update({ where: { id: session.id }, data: { lastSeenAt: new Date(now) } });
  }
  const role = session.user.role as Role;
  return {
    kind: "user",
    userId: session.user.id,
    email: session.user.email,
    name: session.user.name,
    role,
    sessionId: session.id,
    mfaSatisfied: session.mfaPassed || (!session.user.totpEnabled && !mfaRequiredFor(env, role)),
  };
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(token)}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Expires=${expiresAt.toUTCString()}`,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export function clearSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
}
