export type AppErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS"
  | "PRECONDITION_FAILED";

/**
 * The one error type domain functions throw. `field` names the input field the message belongs
 * to, so a form can show it next to that field.
 */
export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details: { field?: string } = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** Prisma's unique-constraint violation, as a fallback when a pre-check lost a race. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: string }).code === "P2002";
}
