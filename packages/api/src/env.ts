import { z } from "zod";

const Roles = z.enum(["ADMIN", "DBA", "DEVELOPER", "AUDITOR"]);

const ApiEnv = z.object({
  DATABASE_URL: z.string().min(1).default("postgresql://postgres@127.0.0.1:5432/dbmesh"),
  REDIS_URL: z.string().min(1).default("redis://127.0.0.1:6379"),
  DBMESH_SECRET_KEY: z
    .string({ error: "DBMESH_SECRET_KEY is not set: run `npm start` once (it generates .dbmesh/secret.env) or set 64 hex characters" })
    .regex(/^[0-9a-fA-F]{64}$/, "DBMESH_SECRET_KEY must be 64 hex characters (32 bytes)"),
  DBMESH_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).default(60),
  DBMESH_SESSION_MAX_HOURS: z.coerce.number().int().min(1).default(12),
  /** Comma-separated roles that must use TOTP two-factor, e.g. "ADMIN,DBA". Empty: optional for all. */
  DBMESH_REQUIRE_MFA_ROLES: z
    .string()
    .default("")
    .transform((s) => s.split(",").map((r) => r.trim()).filter(Boolean))
    .pipe(z.array(Roles)),
  /** Behind a TLS-terminating proxy, cookies get `Secure`; direct http on loopback does not. */
  DBMESH_SECURE_COOKIES: z
    .enum(["true", "false", "auto"])
    .default("auto"),
  DBMESH_TRUST_PROXY: z.enum(["true", "false"]).default("false"),
  /** Base of the BullMQ key prefix; must match the worker's (the console enqueues backups, checks, rollouts and provisioning there). */
  DBMESH_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.' and '-' only").default("dbmesh"),
});
export type ApiEnv = z.infer<typeof ApiEnv>;

let cached: ApiEnv | undefined;

/** Parsed once; a bad variable fails with a message that names it. */
export function apiEnv(source: Record<string, string | undefined> = process.env): ApiEnv {
  if (cached && source === process.env) return cached;
  const parsed = ApiEnv.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`dbmesh API configuration is invalid:\n  ${lines.join("\n  ")}`);
  }
  if (source === process.env) cached = parsed.data;
  return parsed.data;
}
