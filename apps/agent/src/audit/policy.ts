import type { StatementAnalysis } from "@dbmesh/sql";

// A virtual database's SQL audit policy, from its compiled config (`audit` on AgentVirtualDatabase). A config
// from before the field existed audits everything, literals replaced.
//
//   all      every statement
//   writes   statements that change data or schema (and every refusal)
//   denied   refusals only
//   sample   a random `sampleRate` share of statements (and every refusal)
//   off      nothing
//
// Refusals are always recorded unless the mode is off: a denial is what an auditor looks for first.

export type AuditMode = "all" | "writes" | "denied" | "sample" | "off";

export interface AuditPolicy {
  readonly mode: AuditMode;
  readonly sampleRate: number;
  readonly keepLiterals: boolean;
}

export const DEFAULT_AUDIT_POLICY: AuditPolicy = Object.freeze({ mode: "all", sampleRate: 1, keepLiterals: false });

const MODES = new Set<string>(["all", "writes", "denied", "sample", "off"]);

/** The policy of a compiled virtual database (typed loosely: older configs have no `audit`). */
export function auditPolicyOf(vdbConfig: unknown): AuditPolicy {
  const raw = (vdbConfig as { audit?: unknown } | null)?.audit;
  if (raw === undefined || raw === null || typeof raw !== "object") return DEFAULT_AUDIT_POLICY;
  const a = raw as { mode?: unknown; sampleRate?: unknown; keepLiterals?: unknown };
  const mode = typeof a.mode === "string" && MODES.has(a.mode) ? (a.mode as AuditMode) : "all";
  const rate = typeof a.sampleRate === "number" && Number.isFinite(a.sampleRate) ? Math.min(1, Math.max(0, a.sampleRate)) : 1;
  return { mode, sampleRate: rate, keepLiterals: a.keepLiterals === true };
}

const WRITE_KINDS = new Set<string>(["insert", "update", "delete", "merge", "ddl", "truncate", "copy", "call", "select_for_update"]);

/** Changes data or schema: a write kind, or any table touched other than by a plain read. */
export function isWrite(analysis: StatementAnalysis): boolean {
  if (WRITE_KINDS.has(analysis.kind)) {
    // COPY … TO reads; COPY … FROM writes: the table operation tells.
    if (analysis.kind !== "copy") return true;
  }
  for (const t of analysis.tables) if (t.operation !== "select") return true;
  return false;
}

/** Whether an allowed (forwarded) statement is recorded. Refusals are recorded whenever the mode is not off. */
export function auditsAllowed(policy: AuditPolicy, analysis: StatementAnalysis | null): boolean {
  switch (policy.mode) {
    case "all":
      return true;
    case "writes":
      return analysis !== null && isWrite(analysis);
    case "sample":
      return Math.random() < policy.sampleRate;
    default:
      return false;
  }
}
