import type { Actor, Context } from "./context";
import { AppError } from "./errors";

/** The guard middleware has already refused anonymous calls to non-public procedures. */
export function requireActor(ctx: Context): Actor {
  if (!ctx.actor) throw new AppError("UNAUTHORIZED", "sign in first");
  return ctx.actor;
}
