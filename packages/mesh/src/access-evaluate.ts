import type { AccessOperation } from "./schemas";

// Deciding a statement against a virtual database's access rules. Pure, so the agent (on the
// wire) and the console ("try a statement") give the same answer from the same code.

export interface AccessRuleForEvaluation {
  name: string;
  credential: string | null;
  effect: "ALLOW" | "DENY";
  operations: readonly AccessOperation[];
  /** One pattern: `schema.table`, `table` (any schema), `schema.*`, `*`; `*` matches any run. */
  table: string;
}

export interface TableAccess {
  /** null when the statement did not qualify the name (resolved against the search path first). */
  schema: string | null;
  name: string;
  operation: string;
}

export interface AccessDecision {
  allowed: boolean;
  /** The rule that decided: the first denying one, else the last allowing one; null when none matched. */
  rule: string | null;
  tables: { schema: string; name: string; operation: string; allowed: boolean; rule: string | null }[];
  /** Why, in words for an error message or the console. */
  reason: string;
}

const patternCache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = patternCache.get(glob);
  if (!re) {
    re = new RegExp(`^${glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(glob, re);
  }
  return re;
}

/** Whether a rule's table pattern covers `schema.name` (both already resolved and lower-cased as PostgreSQL folds them). */
export function tablePatternMatches(pattern: string, schema: string, name: string): boolean {
  const dot = pattern.indexOf(".");
  if (dot < 0) return globToRegExp(pattern).test(name);
  return globToRegExp(pattern.slice(0, dot)).test(schema) && globToRegExp(pattern.slice(dot + 1)).test(name);
}

/**
 * An unqualified name resolves to the first schema of the search path, as PostgreSQL does for a
 * table that will be created, and as the agent pins for reads: the session's search_path is
 * tracked, so `SET search_path` cannot move a name out from under a rule.
 */
export function resolveTableSchema(table: TableAccess, searchPath: readonly string[] = ["public"]): string {
  return table.schema ?? searchPath.find((s) => s !== "$user") ?? "public";
}

/**
 * Every table must be allowed: a table is decided by the first rule (most specific first, see
 * access-rule-order.ts) that names the credential (or every credential), covers the table and
 * lists the operation (or `all`). A table no rule covers gets `defaultEffect`.
 */
export function evaluateAccess(input: {
  rules: readonly AccessRuleForEvaluation[];
  credential: string;
  tables: readonly TableAccess[];
  searchPath?: readonly string[];
  defaultEffect: "ALLOW" | "DENY";
}): AccessDecision {
  const decided = input.tables.map((t) => {
    const schema = resolveTableSchema(t, input.searchPath);
    const rule = input.rules.find(
      (r) =>
        (r.credential === null || r.credential === input.credential) &&
        (r.operations.includes("all") || r.operations.includes(t.operation as AccessOperation)) &&
        tablePatternMatches(r.table, schema, t.name),
    );
    const allowed = rule ? rule.effect === "ALLOW" : input.defaultEffect === "ALLOW";
    return { schema, name: t.name, operation: t.operation, allowed, rule: rule?.name ?? null };
  });
  const denied = decided.find((t) => !t.allowed);
  if (denied) {
    const why = denied.rule ? `access rule "${denied.rule}"` : "no access rule allows it (the default is deny)";
    return { allowed: false, rule: denied.rule, tables: decided, reason: `${denied.operation} on ${denied.schema}.${denied.name} is refused by ${why}` };
  }
  const lastAllow = [...decided].reverse().find((t) => t.rule !== null);
  return {
    allowed: true,
    rule: lastAllow?.rule ?? null,
    tables: decided,
    reason: decided.length === 0 ? "the statement touches no table" : `allowed by ${lastAllow ? `access rule "${lastAllow.rule}"` : "the default"}`,
  };
}
