import type { MigrationStatement } from "@dbmesh/sql";
import { describe, expect, it } from "vitest";
import { sideBySide, unifiedSchemaDiff } from "./schema-diff";
import { concurrentIndexName, isTransactionControl, positionInMigration, segmentsOf } from "./statements";

const stmt = (index: number, text: string, transactional = true, kind = "OTHER"): MigrationStatement => ({
  index,
  text,
  startLine: index + 1,
  startColumn: 1,
  endLine: index + 1,
  endColumn: text.length + 1,
  kind,
  transactional,
});

describe("statements", () => {
  it("groups consecutive transactional statements and isolates the others", () => {
    const segs = segmentsOf([stmt(0, "a"), stmt(1, "b"), stmt(2, "CREATE INDEX CONCURRENTLY x ON t (c)", false), stmt(3, "d"), stmt(4, "VACUUM t", false), stmt(5, "VACUUM u", false)]);
    expect(segs.map((s) => [s.transactional, s.statements.map((x) => x.index)])).toEqual([
      [true, [0, 1]],
      [false, [2]],
      [true, [3]],
      [false, [4]],
      [false, [5]],
    ]);
  });

  it("turns a PostgreSQL error position into the migration's line and column", () => {
    const s = { text: "ALTER TABLE items\n  ADD COLUMN x int REFERENCES nope (id)", startLine: 7, startColumn: 5 };
    expect(positionInMigration(s, 7)).toEqual({ line: 7, column: 11 });
    expect(positionInMigration(s, s.text.indexOf("nope") + 1)).toEqual({ line: 8, column: 31 });
    expect(positionInMigration(s, undefined)).toEqual({ line: 7, column: 5 });
  });

  it("finds the index a CREATE INDEX CONCURRENTLY builds", () => {
    expect(concurrentIndexName("CREATE INDEX CONCURRENTLY items_name_idx ON items (name)")).toBe("items_name_idx");
    expect(concurrentIndexName('create unique index concurrently if not exists app."Idx" on app.t (c)')).toBe('app."Idx"');
    expect(concurrentIndexName("CREATE INDEX CONCURRENTLY ON items (name)")).toBeNull();
    expect(concurrentIndexName("CREATE INDEX items_name_idx ON items (name)")).toBeNull();
  });

  it("recognizes transaction control by kind or text, behind comments too", () => {
    expect(isTransactionControl(stmt(0, "COMMIT", false, "COMMIT"))).toBe(true);
    expect(isTransactionControl(stmt(0, "-- done\nend", false))).toBe(true);
    expect(isTransactionControl(stmt(0, "/* x */ start transaction", false))).toBe(true);
    expect(isTransactionControl(stmt(0, "ALTER TABLE begin_dates ADD COLUMN x int"))).toBe(false);
  });
});

describe("schema diff", () => {
  it("pairs a changed line, pads added and removed ones", () => {
    const before = "table a\n  column x int\n  column y text\ntable b\n";
    const after = "table a\n  column x bigint\n  column y text\ntable b\n  column z int\n";
    expect(sideBySide(before, after)).toEqual([
      { left: "table a", right: "table a", change: "same" },
      { left: "  column x int", right: "  column x bigint", change: "changed" },
      { left: "  column y text", right: "  column y text", change: "same" },
      { left: "table b", right: "table b", change: "same" },
      { left: null, right: "  column z int", change: "added" },
    ]);
    expect(unifiedSchemaDiff(before, before)).toBe("");
    expect(unifiedSchemaDiff(before, after)).toMatch(/^\+ {2}column z int$/m);
  });
});
