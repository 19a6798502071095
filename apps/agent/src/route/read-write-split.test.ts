import type { ReadWriteSplitting, StatementKind } from "@dbmesh/mesh";
import { loadSqlAnalyzer, type SqlAnalyzer, type StatementAnalysis } from "@dbmesh/sql";
import { beforeAll, describe, expect, it } from "vitest";
import { chooseTarget, type RouteTarget } from "./read-write-split";

const analysis = (a: Partial<StatementAnalysis>): StatementAnalysis => ({
  kind: "select",
  statements: 1,
  readOnly: true,
  forUpdate: false,
  transaction: null,
  setsSessionState: false,
  tables: [],
  parts: [],
  matchTexts: [],
  literalSensitive: false,
  error: null,
  ...a,
});
const READ = analysis({});
const WRITE = analysis({ kind: "update", readOnly: false });
const LOCKING = analysis({ kind: "select_for_update", readOnly: false, forUpdate: true });
const SHOW = analysis({ kind: "show" });
const BROKEN = analysis({ kind: "other", readOnly: false, statements: 0, error: "syntax error" });

type Rule = ReadWriteSplitting["rules"][number];
const regexRule = (target: RouteTarget, ...regex: string[]): Rule => ({
  name: `re-${target}`,
  type: "regex",
  regex,
  statementKinds: [],
  target,
});
const kindRule = (target: RouteTarget, ...statementKinds: StatementKind[]): Rule => ({
  name: `kind-${target}`,
  type: "statement",
  regex: [],
  statementKinds,
  target,
});
const split = (s: Partial<ReadWriteSplitting>): ReadWriteSplitting => ({
  enabled: true,
  defaultTarget: "replica",
  rules: [],
  ...s,
});

const cases: {
  why: string;
  a: StatementAnalysis;
  sql?: string;
  inTransaction?: boolean;
  split: ReadWriteSplitting;
  want: RouteTarget;
}[] = [
  { why: "splitting disabled", a: READ, split: split({ enabled: false }), want: "primary" },
  { why: "a read outside a transaction, default replica", a: READ, split: split({}), want: "replica" },
  { why: "a read, default primary", a: READ, split: split({ defaultTarget: "primary" }), want: "primary" },
  { why: "SHOW counts as a read", a: SHOW, split: split({}), want: "replica" },
  { why: "a read inside a transaction", a: READ, inTransaction: true, split: split({}), want: "primary" },
  { why: "a write", a: WRITE, split: split({}), want: "primary" },
  { why: "a locking read", a: LOCKING, split: split({}), want: "primary" },
  { why: "forUpdate even if marked read-only", a: analysis({ forUpdate: true }), split: split({}), want: "primary" },
  { why: "a parse error", a: BROKEN, split: split({}), want: "primary" },
  {
    why: "a regex rule sending matching reads to the primary",
    a: READ,
    sql: "SELECT nextval('orders_id_seq')",
    split: split({ rules: [regexRule("primary", "nextval\\(")] }),
    want: "primary",
  },
  {
    why: "regexes case-insensitively",
    a: READ,
    sql: "select NEXTVAL('s')",
    split: split({ rules: [regexRule("primary", "nextval")] }),
    want: "primary",
  },
  {
    why: "any of a rule's regexes",
    a: READ,
    sql: "SELECT pg_advisory_lock(1)",
    split: split({ rules: [regexRule("primary", "nextval", "pg_advisory")] }),
    want: "primary",
  },
  {
    why: "the default when no regex matches",
    a: READ,
    sql: "SELECT * FROM t",
    split: split({ rules: [regexRule("primary", "nextval")] }),
    want: "replica",
  },
  {
    why: "a statement rule by kind",
    a: SHOW,
    split: split({ rules: [kindRule("primary", "show")] }),
    want: "primary",
  },
  {
    why: "a statement rule that does not match the kind",
    a: READ,
    split: split({ rules: [kindRule("primary", "show", "explain")] }),
    want: "replica",
  },
  {
    why: "the first matching rule",
    a: READ,
    sql: "SELECT * FROM reports",
    split: split({ defaultTarget: "primary", rules: [regexRule("replica", "reports"), kindRule("primary", "select")] }),
    want: "replica",
  },
  {
    why: "the first matching rule (other order)",
    a: READ,
    sql: "SELECT * FROM reports",
    split: split({ rules: [kindRule("primary", "select"), regexRule("replica", "reports")] }),
    want: "primary",
  },
  {
    why: "never a write to a replica, whatever a rule says",
    a: WRITE,
    sql: "UPDATE reports SET x = 1",
    split: split({ rules: [regexRule("replica", "reports"), kindRule("replica", "update")] }),
    want: "primary",
  },
  {
    why: "never a locking read to a replica, whatever a rule says",
    a: LOCKING,
    sql: "SELECT * FROM reports FOR UPDATE",
    split: split({ rules: [kindRule("replica", "select_for_update")] }),
    want: "primary",
  },
  {
    why: "never a transaction's read to a replica, whatever a rule says",
    a: READ,
    inTransaction: true,
    split: split({ rules: [kindRule("replica", "select")] }),
    want: "primary",
  },
  {
    why: "a regex that does not compile matches nothing",
    a: READ,
    sql: "SELECT 1",
    split: split({ defaultTarget: "primary", rules: [regexRule("replica", "(unclosed")] }),
    want: "primary",
  },
];

let analyzer: SqlAnalyzer;
beforeAll(async () => {
  analyzer = await loadSqlAnalyzer();
});

describe("chooseTarget", () => {
  it.each(cases)("$want for $why", ({ a, sql = "SELECT 1", inTransaction = false, split, want }) => {
    // The case's analysis, with the normalized texts of its SQL, which regex rules read.
    const withTexts = { ...a, matchTexts: analyzer.analyze(sql).matchTexts };
    expect(chooseTarget({ analysis: withTexts, inTransaction, split })).toBe(want);
  });

  it("matches regexes against the normalized text, not the client's spelling", () => {
    const s = split({ defaultTarget: "replica", rules: [regexRule("primary", "from reports where")] });
    const route = (sql: string) => chooseTarget({ analysis: { ...READ, matchTexts: analyzer.analyze(sql).matchTexts }, inTransaction: false, split: s });
    expect(route("SELECT * FROM reports WHERE id = 1")).toBe("primary");
    expect(route("select * /* hi */ FROM\n  Reports\tWHERE id = 1")).toBe("primary");
    expect(route('select * from "reports" where id = 1')).toBe("primary");
    expect(route("select * from reports_archive where id = 1")).toBe("replica");
  });

  it("compiles a strategy's regexes once, not per statement", () => {
    const s = split({ rules: [regexRule("primary", "nextval")] });
    let compiledCount = 0;
    const spy = new Proxy(RegExp, {
      construct(target, args: [string, string]) {
        compiledCount++;
        return new target(...args);
      },
    });
    const original = globalThis.RegExp;
    globalThis.RegExp = spy;
    try {
      const a = analysis({ matchTexts: ["select nextval($1)"] });
      for (let i = 0; i < 100; i++) expect(chooseTarget({ analysis: a, inTransaction: false, split: s })).toBe("primary");
    } finally {
      globalThis.RegExp = original;
    }
    expect(compiledCount).toBe(1);
  });
});
