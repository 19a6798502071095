import { z } from "zod";
import type { Context } from "../context";
import { AppError } from "../errors";
import { newId } from "../ids";
import { requireActor } from "../actor";
import { generatePassword, hashPassword, passwordProblem } from "../crypto/password";
import { ROLES } from "../permissions";
import { mutate, notFound } from "./mutation";

export const UserCreateInput = z.object({
  email: z.email("enter a valid email address").transform((e) => e.toLowerCase()),
  name: z.string().trim().min(1, "name is required").max(100),
  role: z.enum(ROLES),
  /** Omitted: a strong password is generated and shown once. */
  password: z.string().optional(),
});
export type UserCreateInput = z.infer<typeof UserCreateInput>;

export const UserUpdateInput = z.object({
  id: z.string().min(1),
  name: z.string().trim().min(1, "name is required").max(100),
  role: z.enum(ROLES),
  disabled: z.boolean(),
});
export type UserUpdateInput = z.infer<typeof UserUpdateInput>;

const publicFields = {
  id: true,
  email: true,
  name: true,
  role: true,
  disabled: true,
  totpEnabled: true,
  lastLoginAt: true,
  createdAt: true,
} as const;

export function listUsers(ctx: Context) {
  return ctx.db.user.findMany({ select: publicFields, orderBy: { email: "asc" } });
}

export async function getUser(ctx: Context, id: string) {
  const user = await ctx.db.user.findUnique({ where: { id }, select: publicFields });
  if (!user) throw notFound("user", id);
  return user;
}

export async function createUser(ctx: Context, input: UserCreateInput) {
  const password = input.password || generatePassword();
  const problem = passwordProblem(password, [input.email, input.name]);
  if (problem) throw new AppError("BAD_REQUEST", problem, { field: "password" });
  const passwordHash = await hashPassword(password);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    if (await tx.user.findUnique({ where: { email: input.email } })) {
      throw new AppError("CONFLICT", `a user with email ${input.email} already exists`, { field: "email" });
    }
    const user = await tx.user.create({
      data: { id: newId("usr"), email: input.email, name: input.name, role: input.role, passwordHash },
      select: publicFields,
    });
    await audit({ action: "user.create", objectType: "user", objectId: user.id, objectName: user.email, after: user });
    return { user, password: input.password ? null : password };
  });
}

/** Refuses to leave the installation without an enabled ADMIN. */
async function assertAdminRemains(tx: Parameters<Parameters<typeof mutate>[2]>[0], changingId: string) {
  const others = await tx.user.count({ where: { role: "ADMIN", disabled: false, id: { not: changingId } } });
  if (others === 0) throw new AppError("PRECONDITION_FAILED", "this is the last enabled ADMIN: make another user ADMIN first", { field: "role" });
}

export async function updateUser(ctx: Context, input: UserUpdateInput) {
  const actor = requireActor(ctx);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const before = await tx.user.findUnique({ where: { id: input.id }, select: publicFields });
    if (!before) throw notFound("user", input.id);
    if (before.role === "ADMIN" && !before.disabled && (input.role !== "ADMIN" || input.disabled)) {
      await assertAdminRemains(tx, input.id);
    }
    if (input.id === actor.userId && input.disabled) {
      throw new AppError("BAD_REQUEST", "you cannot disable your own account", { field: "disabled" });
    }
    const after = await tx.user.update({
      where: { id: input.id },
      data: { name: input.name, role: input.role, disabled: input.disabled },
      select: publicFields,
    });
    // A disabled user's sessions end now, not at their next timeout.
    if (input.disabled) await tx.session.deleteMany({ where: { userId: input.id } });
    await audit({ action: "user.update", objectType: "user", objectId: after.id, objectName: after.email, before, after });
    return after;
  });
}

export async function resetUserPassword(ctx: Context, input: { id: string }) {
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const user = await tx.user.findUnique({ where: { id: input.id } });
    if (!user) throw notFound("user", input.id);
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await tx.session.deleteMany({ where: { userId: user.id } });
    await audit({ action: "user.reset_password", objectType: "user", objectId: user.id, objectName: user.email });
    return { password };
  });
}

