// The backup plan as the console edits it. Browser-safe (the form validates with it inline).
import { z } from "zod";
import { cronProblem, isValidTimeZone } from "./schedule";

const nullableCount = (max: number) =>
  z.preprocess(
    (v) => (v === "" || v === undefined || (typeof v === "number" && Number.isNaN(v)) ? null : v),
    z.coerce.number({ error: "a whole number" }).int("a whole number").min(1, "at least 1").max(max, `at most ${max}`).nullable(),
  );

export const BackupVerificationMode = z.enum(["NONE", "LIST", "RESTORE"]);
export type BackupVerificationMode = z.infer<typeof BackupVerificationMode>;

export const BackupPlanInput = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, "a name is required")
      .max(63)
      .regex(/^[a-z0-9][a-z0-9_-]*$/, "lowercase letters, digits, '-' and '_', starting with a letter or digit"),
    sourceKind: z.enum(["endpoint", "virtualDatabase"]),
    endpointId: z.string().optional().nullable(),
    virtualDatabaseId: z.string().optional().nullable(),
    /** Empty: the endpoint's own database. */
    database: z
      .string()
      .trim()
      .max(63)
      .regex(/^[A-Za-z0-9_$-]*$/, "a database name: letters, digits, '_', '$' and '-'")
      .optional()
      .nullable(),
    cron: z.string().trim().min(1, "a schedule is required"),
    timezone: z.string().trim().min(1).default("UTC"),
    method: z.literal("pg_dump").default("pg_dump"),
    storageKind: z.literal("local").default("local"),
    storagePath: z
      .string()
      .trim()
      .min(1, "a directory is required")
      .max(500)
      .refine((p) => !p.split(/[\\/]/).includes(".."), "no '..' in the path"),
    retentionKeep: nullableCount(10_000),
    retentionDays: nullableCount(36_500),
    verification: BackupVerificationMode.default("LIST"),
    paused: z.boolean().default(false),
    maxAttempts: z.coerce.number().int().min(1, "at least 1").max(10, "at most 10").default(3),
  })
  .superRefine((v, ctx) => {
    if (v.sourceKind === "endpoint" && !v.endpointId) ctx.addIssue({ code: "custom", path: ["endpointId"], message: "pick the endpoint to back up" });
    if (v.sourceKind === "virtualDatabase" && !v.virtualDatabaseId) ctx.addIssue({ code: "custom", path: ["virtualDatabaseId"], message: "pick the virtual database to back up" });
    if (!isValidTimeZone(v.timezone)) ctx.addIssue({ code: "custom", path: ["timezone"], message: `unknown time zone "${v.timezone}"` });
    else {
      const problem = cronProblem(v.cron, v.timezone);
      if (problem) ctx.addIssue({ code: "custom", path: ["cron"], message: problem });
    }
  });
export type BackupPlanInput = z.infer<typeof BackupPlanInput>;

/** A database name for a restore: what CREATE DATABASE accepts without surprises. */
export const RestoreDatabaseName = z
  .string()
  .trim()
  .min(1, "a database name is required")
  .max(63, "at most 63 characters (PostgreSQL's limit)")
  .regex(/^[a-z_][a-z0-9_]*$/, "lowercase letters, digits and '_', not starting with a digit");

/** "<source>_restored_<yyyymmdd_hhmm>", the name a restore suggests. */
export function defaultRestoreName(sourceDatabase: string, at: Date = new Date()): string {
  const stamp = at.toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "_");
  const base = sourceDatabase.toLowerCase().replace(/[^a-z0-9_]/g, "_").replace(/^([0-9])/, "_$1");
  return `${base.slice(0, 63 - 23)}_restored_${stamp}`;
}
