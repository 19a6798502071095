// The agent evaluates access rules first-match-wins, so the order *is* the policy. It lives here, not in the
// agent, so the control plane can show rules in the order the agent will apply them.

/** What ordering looks at: a compiled rule has one table pattern (see `compile`). */
export interface OrderedAccessRule {
  name: string;
  /** null: applies to every credential. */
  credential: string | null;
  effect: "ALLOW" | "DENY";
  table: string;
}

/**
 * Most specific first:
 * 1. a rule for one credential before a rule for every credential;
 * 2. an exact table before a wildcard, then `schema.table` before `table`, then more literal characters
 *    (`audit.log*` before `audit.*` before `*`);
 * 3. on a tie, DENY before ALLOW — when two rules are equally specific, refusing is the safe reading;
 * 4. then name and table, only so the order is total and the compiled config deterministic.
 */
export function compareAccessRules(a: OrderedAccessRule, b: OrderedAccessRule): number {
  const credential = Number(a.credential === null) - Number(b.credential === null);
  if (credential !== 0) return credential;
  const table = compareTableSpecificity(a.table, b.table);
  if (table !== 0) return table;
  const effect = Number(a.effect === "ALLOW") - Number(b.effect === "ALLOW");
  if (effect !== 0) return effect;
  return compareText(a.name, b.name) || compareText(a.table, b.table);
}

export function sortAccessRules<T extends OrderedAccessRule>(rules: readonly T[]): T[] {
  return [...rules].sort(compareAccessRules);
}

/** Negative when pattern `a` is more specific than `b`. */
export function compareTableSpecificity(a: string, b: string): number {
  const wildcard = Number(a.includes("*")) - Number(b.includes("*"));
  if (wildcard !== 0) return wildcard;
  const qualified = Number(!a.includes(".")) - Number(!b.includes("."));
  if (qualified !== 0) return qualified;
  return literalLength(b) - literalLength(a);
}

function literalLength(pattern: string): number {
  return pattern.replaceAll("*", "").length;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
