import type { Db } from "@dbmesh/db";
import type { ApiEnv } from "./env";
import type { Logger } from "./logger";
import { resolveBearerToken } from "./auth/api-tokens";
import { resolveSession, SESSION_COOKIE } from "./auth/sessions";
import type { Role } from "./permissions";

export interface Actor {
  kind: "user" | "token" | "system";
  userId: string;
  email: string;
  name: string;
  role: Role;
  sessionId?: string;
  tokenId?: string;
  /** False while a role that must use two-factor has not enrolled and passed it. */
  mfaSatisfied: boolean;
}

export interface Context {
  db: Db;
  env: ApiEnv;
  log: Logger;
  actor: Actor | null;
  ip: string | null;
  userAgent: string | null;
  /** Whether a cookie-authenticated mutation may proceed: a custom header or a same-origin Origin. */
  csrfOk: boolean;
  /** Headers to add to the response (Set-Cookie from login/logout). */
  resHeaders: Headers;
  /** Whether the browser reached us over https (cookies then get `Secure`). */
  https: boolean;
  /** Raw session token from the cookie, for logout. */
  sessionToken: string | null;
}

export const CSRF_HEADER = "x-dbmesh-csrf";

function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/**
 * The peer address. Next's server appends the socket address to x-forwarded-for, so the last
 * entry is what our own server saw; earlier entries come from the client (or, behind a trusted
 * proxy, from that proxy — then the first entry is the client).
 */
function clientIp(req: Request, env: ApiEnv): string | null {
  const fwd = req.headers.get("x-forwarded-for");
  if (!fwd) return req.headers.get("x-real-ip");
  const hops = fwd.split(",").map((h) => h.trim()).filter(Boolean);
  return (env.DBMESH_TRUST_PROXY === "true" ? hops[0] : hops[hops.length - 1]) ?? null;
}

/** Same-origin when Origin (or else Referer) names the host the request was sent to. */
function isSameOrigin(req: Request): boolean {
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  const origin = req.headers.get("origin") ?? req.headers.get("referer");
  if (!host || !origin) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export async function createContext(opts: {
  db: Db;
  env: ApiEnv;
  log: Logger;
  req: Request;
  resHeaders?: Headers;
  /** The socket address when the server knows it (Next does not expose it; see x-dbmesh-client-ip). */
  remoteAddress?: string | null;
}): Promise<Context> {
  const { db, env, req } = opts;
  const ip = clientIp(req, env) ?? opts.remoteAddress ?? null;
  const base = {
    db,
    env,
    log: opts.log,
    ip,
    userAgent: req.headers.get("user-agent"),
    resHeaders: opts.resHeaders ?? new Headers(),
    https: req.url.startsWith("https:") || req.headers.get("x-forwarded-proto") === "https",
  };
  const auth = req.headers.get("authorization");
  if (auth?.toLowerCase().startsWith("bearer ")) {
    const actor = await resolveBearerToken(db, env, auth.slice(7).trim());
    // A bearer token cannot be sent by a browser on its own, so it needs no CSRF check.
    return { ...base, actor, csrfOk: true, sessionToken: null };
  }
  const sessionToken = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
  const actor = sessionToken ? await resolveSession(db, env, sessionToken) : null;
  const csrfOk = req.headers.get(CSRF_HEADER) === "1" || isSameOrigin(req);
  return { ...base, actor, csrfOk, sessionToken };
}
