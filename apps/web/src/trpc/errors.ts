import { TRPCClientError } from "@trpc/client";

export interface ServerErrorInfo {
  /** tRPC error code, e.g. "UNAUTHORIZED", "BAD_REQUEST"; "NETWORK" when the server could not be reached. */
  code: string;
  message: string;
  /** Field path (dot-joined) → message, when the server can say which input was wrong. */
  fieldErrors: Record<string, string>;
}

type ErrorData = { code?: string; fieldErrors?: Record<string, string> | null; httpStatus?: number };

export function errorInfo(err: unknown): ServerErrorInfo {
  if (err instanceof TRPCClientError) {
    const data = (err.data ?? undefined) as ErrorData | undefined;
    if (!data?.code) {
      return {
        code: "NETWORK",
        message: `the console could not reach its server (${err.message}): check that dbmesh is running, then try again`,
        fieldErrors: {},
      };
    }
    return { code: data.code, message: err.message, fieldErrors: data.fieldErrors ?? {} };
  }
  if (err instanceof Error) return { code: "CLIENT", message: err.message, fieldErrors: {} };
  return { code: "CLIENT", message: String(err), fieldErrors: {} };
}

export function errorCode(err: unknown): string | undefined {
  if (err instanceof TRPCClientError) return ((err.data ?? undefined) as ErrorData | undefined)?.code;
  return undefined;
}

export const isUnauthorized = (err: unknown) => errorCode(err) === "UNAUTHORIZED";

/** Client errors (4xx) are answers, not hiccups: retrying them only delays the message. */
export function shouldRetry(failureCount: number, err: unknown): boolean {
  const code = errorCode(err);
  if (code && code !== "INTERNAL_SERVER_ERROR" && code !== "TIMEOUT") return false;
  return failureCount < 2;
}
