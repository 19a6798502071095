import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlAnalyzer } from "./sql-analyzer";
import type { SqlAnalyzer } from "./types";

let analyzer: SqlAnalyzer;
beforeAll(async () => {
  analyzer = await loadSqlAnalyzer();
});

describe("match texts (what circuit-break regexes read)", () => {
  it.each([
    ["/* x */ DROP TABLE t", ["drop table t"]],
    ["-- hi\n  DrOp\t\n TABLE   T;", ["drop table t"]],
    ['DROP TABLE"t"', ["drop table t"]],
    ['drop/**/table "Odd Name"', ['drop table "Odd Name"']],
    ["SELECT 1; /* c */ DROP TABLE t", ["select $1", "drop table t"]],
    ["select * from t where a = 'x' and b = 2.5e3", ["select * from t where a = $1 and b = $2"]],
    ["select $1, 'a', E'b\\'c', $$d$$", ["select $1, $2, $3, $4"]],
    ["select 'ü'; delete from t", ["select $1", "delete from t"]],
    ["select a+/* x */b from s.t", ["select a+ b from s.t"]],
  ])("%s", (sql, expected) => {
    expect(analyzer.analyze(sql).matchTexts).toEqual(expected);
  });

  it("is the same for texts that share an analysis by literal shape", () => {
    const a = analyzer.analyze("select * from t where id = 1 and name = 'a'");
    const b = analyzer.analyze("select * from t where id = 22 and name = 'bbb'");
    expect(b).toBe(a);
    expect(b.matchTexts).toEqual(["select * from t where id = $1 and name = $2"]);
  });

  it("is empty for a text that does not parse", () => {
    expect(analyzer.analyze("DROP TABLE (").matchTexts).toEqual([]);
  });

  it("is computed once, on first read, and shared by every reader", () => {
    const a = analyzer.analyze("/* once */ SELECT 7 FROM lazy_t");
    const first = a.matchTexts;
    expect(first).toEqual(["select $1 from lazy_t"]);
    expect(a.matchTexts).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });
});
