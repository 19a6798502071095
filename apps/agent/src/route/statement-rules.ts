import type { StatementKind } from "@dbmesh/mesh";
import type { StatementAnalysis } from "@dbmesh/sql";

/** What circuit breaks, concurrency controls and read/write rules match on. */
export interface StatementRule {
  regex: readonly string[];
  statementKinds: readonly StatementKind[];
}

// Compiled once per rule object. A config is immutable once parsed and a new config brings new objects,
// so the old regexes go with the old config.
const compiled = new WeakMap<object, readonly RegExp[]>();

/** The rule's regexes, case-insensitive, compiled on first use. One that does not compile matches nothing. */
export function ruleRegexes(rule: { regex: readonly string[] }): readonly RegExp[] {
  let regexes = compiled.get(rule);
  if (regexes === undefined) {
    regexes = rule.regex.flatMap((source) => {
      try {
        return [new RegExp(source, "i")];
      } catch {
        return []; // the mesh schema refuses these on save; never fail a query over one
      }
    });
    compiled.set(rule, regexes);
  }
  return regexes;
}

/**
 * Whether one of the rule's regexes matches the normalized text of one of the statements (`matchTexts` of the
 * analysis: comments stripped, whitespace collapsed, names lower case, literal values as `$n`; see
 * @dbmesh/sql match-text.ts), as circuit breaks match. The texts are computed on first read, so a rule without
 * regexes never asks for them.
 */
export function matchesAnyRegex(rule: { regex: readonly string[] }, analysis: { readonly matchTexts: readonly string[] }): boolean {
  if (rule.regex.length === 0) return false;
  const regexes = ruleRegexes(rule);
  if (regexes.length === 0) return false;
  for (const text of analysis.matchTexts) for (const re of regexes) if (re.test(text)) return true;
  return false;
}

/**
 * A rule matches when the statement's kind (of the first statement in the text) is one of its kinds, or
 * any of its regexes matches the normalized text of any statement in the text.
 */
export function matchesRule(rule: StatementRule, analysis: StatementAnalysis): boolean {
  return rule.statementKinds.includes(analysis.kind) || matchesAnyRegex(rule, analysis);
}

/**
 * matchesRule with its last answer kept. An analysis stands for every text of one statement shape (the analyzer
 * shares it between texts that differ only in literal values, and the normalized texts regexes match are the
 * same for all of them), and sessions mostly repeat shapes: the regexes need not run again for the analysis they
 * just ran on. One per rule of a config (immutable), shared by every session. A regex test per statement was
 * ~0.8 µs per pgbench transaction of the governed bench agent's concurrency control (perf: the test, the rule's
 * WeakMap lookup, the loop).
 */
export class MemoizedRule {
  private lastAnalysis: StatementAnalysis | null = null;
  private lastMatch = false;

  constructor(readonly rule: StatementRule) {}

  matches(analysis: StatementAnalysis): boolean {
    if (analysis === this.lastAnalysis) return this.lastMatch;
    const match = matchesRule(this.rule, analysis);
    this.lastAnalysis = analysis;
    this.lastMatch = match;
    return match;
  }
}
