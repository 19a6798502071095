import type { StatementKind } from "@dbmesh/mesh";
import { loadSqlAnalyzer, type SqlAnalyzer, type StatementAnalysis } from "@dbmesh/sql";
import { beforeAll, describe, expect, it } from "vitest";
import { MemoizedRule, matchesRule, ruleRegexes } from "./statement-rules";

let analyzer: SqlAnalyzer;
beforeAll(async () => {
  analyzer = await loadSqlAnalyzer();
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
  // Regexes read each statement's normalized text (as circuit breaks do), not the client's spelling.
  { why: "a comment, case or spacing cannot hide a match", regex: ["^select \\* from big_table$"], sql: "/* x */ SELECT *\n FROM  BIG_TABLE", kind: "select", want: true },
  { why: "a needlessly quoted name reads bare", regex: ["from big_table"], sql: 'SELECT * FROM "big_table"', kind: "select", want: true },
  { why: "literal values are not seen", regex: ["id = 42"], sql: "SELECT * FROM t WHERE id = 42", kind: "select", want: false },
  { why: "any statement of the text", regex: ["^delete from t$"], sql: "SELECT 1; DELETE FROM t", kind: "select", want: true },
];

describe("matchesRule", () => {
  it.each(cases)("$want for $why", ({ regex = [], kinds = [], sql, kind, want }) => {
    const analysis = analyzer.analyze(sql);
    expect(analysis.kind).toBe(kind);
    expect(matchesRule({ regex, statementKinds: kinds }, analysis)).toBe(want);
  });

  it("does not ask for the normalized texts when the rule has no regex", () => {
    const analysis = { ...analyzer.analyze("SELECT 1"), get matchTexts(): readonly string[] {
      throw new Error("read");
    } } as StatementAnalysis;
    expect(matchesRule({ regex: [], statementKinds: ["delete"] }, analysis)).toBe(false);
  });

  it("compiles a rule's regexes once and keeps them with the rule object", () => {
    const rule = { regex: ["a+b"], statementKinds: [] };
    const first = ruleRegexes(rule);
    expect(ruleRegexes(rule)).toBe(first);
    expect(ruleRegexes({ regex: ["a+b"] })).not.toBe(first);
  });

  it("gives the same answer on repeated calls (no global-flag lastIndex state)", () => {
    const rule = { regex: ["select"], statementKinds: [] };
    for (let i = 0; i < 5; i++) expect(matchesRule(rule, analyzer.analyze("SELECT 1"))).toBe(true);
  });
});

describe("MemoizedRule", () => {
  it("answers as matchesRule for every case, asked again and in turns, with texts of one shape sharing the answer", () => {
    const rules = cases.map(({ regex = [], kinds = [] }) => new MemoizedRule({ regex, statementKinds: kinds }));
    for (let turn = 0; turn < 3; turn++) {
      cases.forEach(({ sql, want }, i) => {
        expect(rules[i]!.matches(analyzer.analyze(sql))).toBe(want);
        // Another rule's analysis in between: the memo holds one analysis and must not answer for another.
        const other = analyzer.analyze(cases[(i + 1) % cases.length]!.sql);
        expect(rules[i]!.matches(other)).toBe(matchesRule(rules[i]!.rule, other));
      });
    }
    const pgbench = new MemoizedRule({ regex: ["pgbench_accounts"], statementKinds: [] });
    expect(pgbench.matches(analyzer.analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 1"))).toBe(true);
    expect(pgbench.matches(analyzer.analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 2"))).toBe(true);
    expect(pgbench.matches(analyzer.analyze("SELECT 1"))).toBe(false);
  });
});
