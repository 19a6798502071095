import { describe, expect, it } from "vitest";
import type { AccessStatement } from "./access-decide";
import { CircuitBreakMatcher } from "./circuit-break";
import { CircuitBreak } from "./schemas";

const st = (kind: AccessStatement["kind"], tables: AccessStatement["tables"] = [], settings: AccessStatement["settings"] = []): AccessStatement => ({
  kind,
  tables,
  functions: [],
  opaque: [],
  settings,
});

const matcher = new CircuitBreakMatcher([
  CircuitBreak.parse({ name: "no-drop", regex: ["^drop\\s"] }),
  CircuitBreak.parse({ name: "frozen", tables: ["finance.ledger"], operations: ["delete", "truncate"] }),
  CircuitBreak.parse({ name: "no-copy", statementKinds: ["copy"] }),
]);

describe("CircuitBreakMatcher", () => {
  it("judges each statement on its own match text and kind", () => {
    expect(matcher.match([st("select"), st("ddl")], ["select $1", "drop table t"])).toEqual({ rule: "no-drop", statement: 1 });
    expect(matcher.match([st("select"), st("copy")], ["select $1", "copy t to stdout"])).toEqual({ rule: "no-copy", statement: 1 });
    expect(matcher.match([st("select")], ["select * from dropped"])).toBeNull();
  });

  it("matches tables by pattern and operation", () => {
    const del = st("delete", [{ schema: "finance", name: "ledger", operation: "delete" }]);
    const read = st("select", [{ schema: "finance", name: "ledger", operation: "select" }]);
    expect(matcher.match([del], ["delete from finance.ledger"])).toEqual({ rule: "frozen", statement: 0 });
    expect(matcher.match([read], ["select * from finance.ledger"])).toBeNull();
  });

  it("resolves unqualified names through every schema the session may have set, within a text and across it", () => {
    const del = st("delete", [{ schema: null, name: "ledger", operation: "delete" }]);
    expect(matcher.match([del], ["delete from ledger"])).toBeNull();
    expect(matcher.match([del], ["delete from ledger"], ["public", "finance"])).toEqual({ rule: "frozen", statement: 0 });
    const set = st("set", [], [{ kind: "search_path", schemas: ["finance"], local: false }]);
    expect(matcher.match([set, del], ["set search_path = $1", "delete from ledger"])).toEqual({ rule: "frozen", statement: 1 });
    // A search path the agent cannot follow: the name may be anywhere.
    expect(matcher.match([del], ["delete from ledger"], ["public", "*"])).toEqual({ rule: "frozen", statement: 0 });
  });

  it("matches nothing without circuit breaks", () => {
    expect(new CircuitBreakMatcher([]).match([st("ddl")], ["drop table t"])).toBeNull();
  });

  it("reads the match texts only when a break with a regex judges a statement", () => {
    let reads = 0;
    const source = {
      get matchTexts() {
        reads++;
        return ["drop table t"];
      },
    };
    const noRegex = new CircuitBreakMatcher([CircuitBreak.parse({ name: "no-copy", statementKinds: ["copy"] })]);
    expect(noRegex.match([st("ddl")], source)).toBeNull();
    expect(reads).toBe(0);
    expect(matcher.match([st("ddl")], source, ["public"])).toEqual({ rule: "no-drop", statement: 0 });
    expect(reads).toBe(1);
  });
});

describe("CircuitBreakMatcher on a virtual database's initial search path", () => {
  const frozen = [CircuitBreak.parse({ name: "frozen", tables: ["team_a.ledger"], operations: ["delete"] })];
  const del = st("delete", [{ schema: null, name: "ledger", operation: "delete" }]);
  const reset = st("set", [], [{ kind: "search_path", schemas: null, local: false }]);

  it("resolves unqualified names in it, cached or not, and RESET goes back to it", () => {
    const placed = new CircuitBreakMatcher(frozen, [], ["team_a"]);
    expect(placed.match([del], ["delete from ledger"])).toEqual({ rule: "frozen", statement: 0 });
    expect(placed.match([del], ["delete from ledger"])).toEqual({ rule: "frozen", statement: 0 });
    expect(placed.match([del], ["delete from ledger"], ["public"])).toBeNull();
    expect(placed.match([reset, del], ["reset search_path", "delete from ledger"], ["public"])).toEqual({ rule: "frozen", statement: 1 });
    // On the server default the same text names public.ledger.
    expect(new CircuitBreakMatcher(frozen).match([del], ["delete from ledger"])).toBeNull();
  });
});
