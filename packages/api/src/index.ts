// What the console (types only) and tests import. Server-only wiring lives in ./server.
export type { AppRouter } from "./root";
export { appRouter } from "./root";
export { createCallerFactory } from "./trpc";
export { createContext, CSRF_HEADER, type Actor, type Context } from "./context";
export { permissions, ROLES, type Role } from "./permissions";
export { AppError } from "./errors";
export { apiEnv, type ApiEnv } from "./env";
