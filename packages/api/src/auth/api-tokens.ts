import type { Db } from "@dbmesh/db";
import type { Actor } from "../context";
import type { ApiEnv } from "../env";
import { sha256Hex } from "../crypto/token";
import type { Role } from "../permissions";
import { mfaRequiredFor } from "./sessions";

export const API_TOKEN_PREFIX = "dbm";

/** A Bearer API token acts with its creator's current role; expired, revoked or disabled → none. */
export async function resolveBearerToken(db: Db, env: ApiEnv, token: string): Promise<Actor | null> {
  if (!token.startsWith(`${API_TOKEN_PREFIX}_`)) return null;
  const row = await db.apiToken.findUnique({ where: { tokenHash: sha256Hex(token) }, include: { user: true } });
  if (!row || row.revokedAt || row.user.disabled) return null;
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return null;
  // One write per minute at most, for the "last used" column.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  const role = row.user.role as Role;
  return {
    kind: "token",
    userId: row.user.id,
    email: row.user.email,
    name: row.user.name,
    role,
    tokenId: row.id,
    // Tokens are created by a signed-in (and, where required, two-factor-verified) user.
    mfaSatisfied: !mfaRequiredFor(env, role) || row.user.totpEnabled,
  };
}
