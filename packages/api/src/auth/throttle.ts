import type { Db } from "@dbmesh/db";

export const THROTTLE_WINDOW_MS = 5 * 60_000;
export const MAX_FAILURES_PER_USER = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;

/** Failed sign-ins in the last five minutes, per email and per address (login_attempt rows). */
export async function loginThrottled(db: Db, email: string, ip: string): Promise<"user" | "address" | null> {
  const since = new Date(Date.now() - THROTTLE_WINDOW_MS);
  const [byUser, byIp] = await Promise.all([
    db.loginAttempt.count({ where: { email, success: false, createdAt: { gte: since } } }),
    db.loginAttempt.count({ where: { ip, success: false, createdAt: { gte: since } } }),
  ]);
  if (byUser >= MAX_FAILURES_PER_USER) return "user";
  if (byIp >= MAX_FAILURES_PER_ADDRESS) return "address";
  return null;
}
