import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { loadMigrationLinter } from "./lint-migration";
import { LINT_RULES } from "./rules";
import { tokenize } from "./source-text";
import type { MigrationLinter } from "./types";

// The syntax error's position is found by parsing prefixes (our WASM driver does not surface PostgreSQL's cursor).
// libpg-query's own entry point does report the cursor: as a test oracle only, it checks that both agree on
// migrations broken at random places.

const require = createRequire(import.meta.url);
const oracle = require("libpg-query") as { loadModule(): Promise<void>; parseSync(sql: string): unknown };

const CORPUS = [
  ...LINT_RULES.flatMap((r) => [r.firesOn, r.passesOn, r.fixExample]),
  "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN NEW.at := now(); RETURN NEW; END; $fn$;",
  "INSERT INTO notes (body) VALUES (E'it\\'s; fine'), ('a '' quote'), (U&'d\\0061t\\+000061');",
  "/* a /* nested */ comment */ SELECT x'1F', b'101', 1.5e-3, $1::int, \"odd \"\" name\" FROM t;",
].join("\n");

const JUNK = ["@@ ", ") ", "FROM ", "'x ", "SELECT ", ", ", "CREATE ", "$$ ", "( ", "NOT ", '"a', "/* ", ";; x ", "::", "e'\\'"];

let linter: MigrationLinter;
beforeAll(async () => {
  linter = await loadMigrationLinter();
  await oracle.loadModule();
});

/** 0-based string index of a 1-based line and column. */
function indexOf(text: string, line: number, column: number): number {
  let index = 0;
  for (let l = 1; l < line; l++) index = text.indexOf("\n", index) + 1;
  return index + column - 1;
}

describe("syntax error positions", () => {
  it("agree with PostgreSQL's own cursor on 300 randomly broken migrations", () => {
    const tokens = tokenize(CORPUS);
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let compared = 0;
    for (let i = 0; i < 300; i++) {
      const at = tokens[random(tokens.length)]!.start;
      const text = CORPUS.slice(0, at) + JUNK[random(JUNK.length)] + CORPUS.slice(at);
      let cursor: number | undefined;
      try {
        oracle.parseSync(text);
      } catch (err) {
        cursor = (err as { sqlDetails?: { cursorPosition: number } }).sqlDetails?.cursorPosition;
      }
      if (cursor === undefined) continue; // the junk happened to make valid SQL
      const error = linter.lint(text).parseError;
      expect(error, text.slice(at - 20, at + 20)).not.toBeNull();
      expect(indexOf(text, error!.line, error!.column), text.slice(at - 20, at + 20)).toBe(cursor);
      compared++;
    }
    expect(compared).toBeGreaterThan(250);
  }, 60_000);
});
