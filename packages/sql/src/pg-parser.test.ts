import { describe, expect, it } from "vitest";
import { PgParser } from "./pg-parser";

const tooDeep = (i: number) => `SELECT ${Array(60_000).fill("1").join(" + ")} + ${i}`;
const GOOD = "SELECT a FROM b JOIN c ON b.x = c.y WHERE z IN (SELECT 1 FROM d)";

describe("PgParser", () => {
  it("returns syntax errors as outcomes, with PostgreSQL's message", async () => {
    const parser = await PgParser.load();
    expect(parser.parse("SELECT FROM WHERE")).toEqual({
      ok: false,
      reason: "syntax",
      message: 'syntax error at or near "WHERE"',
    });
    expect(parser.retired).toBe(0);
  });

  it("parses multi-byte text", async () => {
    const parser = await PgParser.load();
    const outcome = parser.parse(`SELECT 'żółw 🐢' FROM "tabelę"`);
    expect(outcome.ok && JSON.stringify(outcome.tree)).toContain('"relname":"tabelę"');
  });

  it("replaces its WASM instance after a stack overflow instead of reusing a corrupted one", async () => {
    const parser = await PgParser.load({ backend: "wasm" });
    const reference = JSON.stringify(parser.parse(GOOD));
    // libpg-query's own module breaks for good after ~40 of these; ours must not.
    for (let i = 0; i < 60; i++) {
      const outcome = parser.parse(tooDeep(i));
      expect(outcome.ok).toBe(false);
      expect(outcome.ok || outcome.reason).not.toBe("syntax");
      await parser.ready();
      expect(JSON.stringify(parser.parse(GOOD))).toBe(reference);
    }
    expect(parser.retired).toBe(60);
  }, 30_000);

  it("says it is restarting, not that the text is wrong, while no instance is ready", async () => {
    const parser = await PgParser.load({ backend: "wasm" });
    parser.parse(tooDeep(1)); // the spare takes over
    parser.parse(tooDeep(2)); // no spare left
    expect(parser.parse(GOOD)).toMatchObject({ ok: false, reason: "unavailable" });
    await parser.ready();
    expect(parser.parse(GOOD)).toMatchObject({ ok: true });
  });

  it("sends texts too long for the native parser's stack to WASM, which survives their depth", async () => {
    const parser = await PgParser.load();
    // 240 K characters nesting 60,000 levels: a segfault for the native writer, an outcome from WASM.
    const outcome = parser.parse(tooDeep(1));
    expect(outcome.ok || outcome.reason).not.toBe("syntax");
    expect(outcome.ok).toBe(false);
    // Short texts still parse while the WASM spare is rebuilt; natively when the addon is there.
    parser.parse(tooDeep(2));
    expect(parser.parse(GOOD)).toMatchObject(parser.backend === "native" ? { ok: true } : { ok: false, reason: "unavailable" });
    await parser.ready();
    expect(parser.parse(GOOD)).toMatchObject({ ok: true });
  });
});
