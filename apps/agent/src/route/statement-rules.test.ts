import type { StatementKind } from "@dbmesh/mesh";
import type { StatementAnalysis } from "@dbmesh/sql";
import { describe, expect, it } from "vitest";
import { matchesRule, ruleRegexes } from "./statement-rules";

const analysis = (kind: StatementKind): StatementAnalysis => ({
  kind,
  statements: 1,
  readOnly: kind === "select",
  forUpdate: false,
  transaction: null,
  setsSessionState: false,
  tables: [],
  parts: [],
  matchTexts: [],
  literalSensitive: false,
  error: null,
});

const cases: { why: string; regex?: string[]; kinds?: StatementKind[]; sql: string; kind: StatementKind; want: boolean }[] = [
  { why: "a listed kind", kinds: ["delete", "truncate"], sql: "DELETE FROM t", kind: "delete", want: true },
  { why: "an unlisted kind", kinds: ["delete"], sql: "SELECT 1", kind: "select", want: false },
  { why: "a regex", regex: ["FROM\\s+big_table"], sql: "select * from  big_table", kind: "select", want: true },
  { why: "one of several regexes", regex: ["^vacuum", "pg_sleep"], sql: "SELECT pg_sleep(1)", kind: "select", want: true },
  { why: "no regex matching", regex: ["^vacuum"], sql: "SELECT 1", kind: "select", want: false },
  { why: "kind or regex, either", regex: ["nomatch"], kinds: ["update"], sql: "UPDATE t SET a = 1", kind: "update", want: true },
  { why: "an empty rule", sql: "SELECT 1", kind: "select", want: false },
  { why: "a regex that does not compile", regex: ["(", "[z-a]"], sql: "(", kind: "other", want: false },
];

describe("matchesRule", () => {
  it.each(cases)("$want for $why", ({ regex = [], kinds = [], sql, kind, want }) => {
    expect(matchesRule({ regex, statementKinds: kinds }, sql, analysis(kind))).toBe(want);
  });

  it("compiles a rule's regexes once and keeps them with the rule object", () => {
    const rule = { regex: ["a+b"], statementKinds: [] };
    const first = ruleRegexes(rule);
    expect(ruleRegexes(rule)).toBe(first);
    expect(ruleRegexes({ regex: ["a+b"] })).not.toBe(first);
  });

  it("gives the same answer on repeated calls (no global-flag lastIndex state)", () => {
    const rule = { regex: ["select"], statementKinds: [] };
    for (let i = 0; i < 5; i++) expect(matchesRule(rule, "SELECT 1", analysis("select"))).toBe(true);
  });
});
