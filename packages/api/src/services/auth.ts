import type { Context } from "../context";
import { AppError } from "../errors";
import { requireActor } from "../actor";
import { hashPassword, passwordProblem, verifyPassword } from "../crypto/password";
import { decryptSecret, encryptSecret } from "../crypto/secret-box";
import { sha256Hex } from "../crypto/token";
import { writeAudit } from "../audit/write-audit";
import { clearSessionCookie, createSession, mfaRequiredFor, sessionCookie } from "../auth/sessions";
import { loginThrottled } from "../auth/throttle";
import { newTotpSecret, totpUri, verifyTotp } from "../auth/totp";
import type { Role } from "../permissions";
import { mutate } from "./mutation";

const GENERIC_FAILURE = "email or password is wrong";

/** `Secure` cookies whenever the console is reached over https (directly or via a TLS proxy). */
function secureCookies(ctx: Context): boolean {
  const setting = ctx.env.DBMESH_SECURE_COOKIES;
  return setting === "true" || (setting === "auto" && ctx.https);
}

export type LoginResult = { status: "ok"; mfaEnrollmentRequired: boolean } | { status: "totp_required" };

/**
 * Email + password (+ TOTP when enrolled). Failures are recorded outside any transaction so that
 * throttling sees them: 5 failures per user or 20 per address in 5 minutes lock sign-in for a while.
 */
export async function login(ctx: Context, input: { email: string; password: string; totpCode?: string }): Promise<LoginResult> {
  const email = input.email.trim().toLowerCase();
  const ip = ctx.ip ?? "unknown";
  const throttled = await loginThrottled(ctx.db, email, ip);
  if (throttled) {
    await writeAudit(ctx.db, ctx, { action: "auth.login_throttled", objectType: "user", objectName: email }, { id: null, email, kind: "anonymous" });
    throw new AppError(
      "TOO_MANY_REQUESTS",
      throttled === "user"
        ? "too many failed sign-ins for this account: wait 5 minutes and try again"
        : "too many failed sign-ins from your address: wait 5 minutes and try again",
    );
  }
  const user = await ctx.db.user.findUnique({ where: { email } });
  const passwordOk = user ? await verifyPassword(input.password, user.passwordHash) : false;
  const fail = async (reason: string, message = GENERIC_FAILURE, field = "password") => {
    await ctx.db.loginAttempt.create({ data: { email, ip, success: false } });
    await writeAudit(ctx.db, ctx, { action: "auth.login_failed", objectType: "user", objectId: user?.id, objectName: email, after: { reason } }, {
      id: user?.id ?? null,
      email,
      kind: "anonymous",
    });
    throw new AppError("UNAUTHORIZED", message, { field });
  };
  if (!user || !passwordOk) return fail(user ? "wrong password" : "unknown email");
  if (user.disabled) return fail("account disabled", "this account is disabled: ask an administrator", "email");
  if (user.totpEnabled) {
    if (!input.totpCode) return { status: "totp_required" };
    const secret = decryptSecret(user.totpSecretEnc!, ctx.env.DBMESH_SECRET_KEY);
    if (!verifyTotp(secret, user.email, input.totpCode)) return fail("wrong two-factor code", "the two-factor code is wrong or expired", "totpCode");
  }
  const mfaPassed = user.totpEnabled;
  const session = await ctx.db.$transaction(async (tx) => {
    await tx.loginAttempt.create({ data: { email, ip, success: true } });
    await tx.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } });
    const s = await createSession(tx, ctx.env, user, { ip: ctx.ip, userAgent: ctx.userAgent, mfaPassed });
    await writeAudit(tx, ctx, { action: "auth.login", objectType: "user", objectId: user.id, objectName: user.email }, {
      id: user.id,
      email: user.email,
      kind: "user",
    });
    return s;
  });
  ctx.resHeaders.append("set-cookie", sessionCookie(session.token, session.expiresAt, secureCookies(ctx)));
  return { status: "ok", mfaEnrollmentRequired: !mfaPassed && mfaRequiredFor(ctx.env, user.role as Role) };
}

export async function logout(ctx: Context): Promise<{ ok: true }> {
  const actor = requireActor(ctx);
  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    if (ctx.sessionToken) await tx.session.deleteMany({ where: { tokenHash: sha256Hex(ctx.sessionToken) } });
    await audit({ action: "auth.logout", objectType: "user", objectId: actor.userId, objectName: actor.email });
  });
  ctx.resHeaders.append("set-cookie", clearSessionCookie());
  return { ok: true };
}

export async function me(ctx: Context) {
  const actor = requireActor(ctx);
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: actor.userId } });
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: actor.role,
    via: actor.kind,
    totpEnabled: user.totpEnabled,
    mfaRequired: mfaRequiredFor(ctx.env, actor.role),
    mfaSatisfied: actor.mfaSatisfied,
  };
}

export async function changePassword(ctx: Context, input: { currentPassword: string; newPassword: string }) {
  const actor = requireActor(ctx);
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: actor.userId } });
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    throw new AppError("BAD_REQUEST", "current password is wrong", { field: "currentPassword" });
  }
  const problem = passwordProblem(input.newPassword, [user.email, user.name]);
  if (problem) throw new AppError("BAD_REQUEST", problem, { field: "newPassword" });
  const passwordHash = await hashPassword(input.newPassword);
  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    // Other sessions end: a changed password should lock out whoever else knew the old one.
    await tx.session.deleteMany({ where: { userId: user.id, id: { not: actor.sessionId ?? "" } } });
    await audit({ action: "user.change_password", objectType: "user", objectId: user.id, objectName: user.email });
  });
  return { ok: true as const };
}

export async function totpBegin(ctx: Context) {
  const actor = requireActor(ctx);
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: actor.userId } });
  if (user.totpEnabled) throw new AppError("PRECONDITION_FAILED", "two-factor authentication is already on");
  const secret = newTotpSecret();
  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    await tx.user.update({ where: { id: user.id }, data: { totpSecretEnc: encryptSecret(secret, ctx.env.DBMESH_SECRET_KEY) } });
    await audit({ action: "user.totp_begin", objectType: "user", objectId: user.id, objectName: user.email });
  });
  return { secret, uri: totpUri(secret, user.email) };
}

export async function totpConfirm(ctx: Context, input: { code: string }) {
  const actor = requireActor(ctx);
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: actor.userId } });
  if (!user.totpSecretEnc) throw new AppError("PRECONDITION_FAILED", "start two-factor setup first");
  const secret = decryptSecret(user.totpSecretEnc, ctx.env.DBMESH_SECRET_KEY);
  if (!verifyTotp(secret, user.email, input.code)) throw new AppError("BAD_REQUEST", "the code is wrong or expired", { field: "code" });
  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    await tx.user.update({ where: { id: user.id }, data: { totpEnabled: true } });
    if (actor.sessionId) await tx.session.update({ where: { id: actor.sessionId }, data: { mfaPassed: true } });
    await audit({ action: "user.totp_enable", objectType: "user", objectId: user.id, objectName: user.email });
  });
  return { ok: true as const };
}

export async function totpDisable(ctx: Context, input: { code: string }) {
  const actor = requireActor(ctx);
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: actor.userId } });
  if (!user.totpEnabled || !user.totpSecretEnc) throw new AppError("PRECONDITION_FAILED", "two-factor authentication is not on");
  if (mfaRequiredFor(ctx.env, actor.role)) {
    throw new AppError("FORBIDDEN", `two-factor authentication is required for ${actor.role} users and cannot be turned off`);
  }
  const secret = decryptSecret(user.totpSecretEnc, ctx.env.DBMESH_SECRET_KEY);
  if (!verifyTotp(secret, user.email, input.code)) throw new AppError("BAD_REQUEST", "the code is wrong or expired", { field: "code" });
  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    await tx.user.update({ where: { id: user.id }, data: { totpEnabled: false, totpSecretEnc: null } });
    await audit({ action: "user.totp_disable", objectType: "user", objectId: user.id, objectName: user.email });
  });
  return { ok: true as const };
}
