import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Context } from "./context";
import { AppError } from "./errors";
import { isAllowed, MFA_EXEMPT, permissions } from "./permissions";

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    let fieldErrors: Record<string, string> | undefined;
    if (cause instanceof ZodError) {
      fieldErrors = {};
      for (const issue of cause.issues) {
        const key = issue.path.join(".") || "_";
        fieldErrors[key] ??= issue.message;
      }
    }
    const field = cause instanceof AppError ? cause.details.field : undefined;
    if (field) fieldErrors = { [field]: error.message };
    const message =
      cause instanceof ZodError
        ? cause.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ")
        : shape.message;
    return { ...shape, message, data: { ...shape.data, fieldErrors, stack: undefined } };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Turns domain errors into tRPC codes in one place; routers never catch and rethrow. */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) {
    const app = result.error.cause;
    throw new TRPCError({ code: app.code, message: app.message, cause: app });
  }
  return result;
});

/** One middleware checks every call against the permission table, CSRF and the two-factor policy. */
const guard = t.middleware(({ ctx, path, type, next }) => {
  const allow = permissions[path];
  if (allow === undefined) {
    throw new TRPCError({ code: "FORBIDDEN", message: `procedure ${path} has no permission entry` });
  }
  if (type === "mutation" && !ctx.csrfOk) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "cross-site request refused: send the x-dbmesh-csrf header or call from the console's origin",
    });
  }
  if (allow === "public") return next();
  const actor = ctx.actor;
  if (!actor) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  if (!actor.mfaSatisfied && !MFA_EXEMPT.has(path)) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "two-factor authentication is required for your role: set it up under Settings → Account",
    });
  }
  if (!isAllowed(allow, actor.role)) {
    throw new TRPCError({ code: "FORBIDDEN", message: `your role (${actor.role}) may not call ${path}` });
  }
  return next({ ctx: { ...ctx, actor } });
});

export const procedure = t.procedure.use(appErrors).use(guard);
