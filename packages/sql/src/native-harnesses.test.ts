import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadNativeParser } from "./native-parser";
import { pruneInertNodes } from "./tree-prune";

// The native parser's own C (native/*.c) driven directly by small programs in native/test, built with the C
// compiler that builds the addon — with the sanitizers where it has them, so that a read or write out of bounds
// fails the run. Skipped on a machine without a compiler, which cannot build the addon either.
const native = fileURLToPath(new URL("../native/", import.meta.url));
const compiler = ["cc", "gcc", "clang"].find((cc) => spawnSync(cc, ["--version"]).status === 0);
const dir = mkdtempSync(join(tmpdir(), "dbmesh-native-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(name: string, sources: string[]): string {
  const binary = join(dir, name);
  const flags = ["-O1", "-g", "-Wall", "-Wno-format-extra-args", "-o", binary, ...sources.map((s) => join(native, s))];
  let run = spawnSync(compiler!, ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", ...flags], { encoding: "utf8" });
  if (run.status !== 0) run = spawnSync(compiler!, flags, { encoding: "utf8" });
  // A warning (another compiler's) is not a failure; not building is.
  expect(run.status, run.stderr).toBe(0);
  return binary;
}

describe.skipIf(compiler === undefined)("the native parser's C (skipped without a C compiler)", () => {
  it("writes every format as printf does (fast_append_string_info.c)", () => {
    const binary = build("format_harness", ["test/format_harness.c", "fast_append_string_info.c"]);
    const run = spawnSync(binary, { encoding: "utf8" });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: "all passed\n" });
  });

  it.skipIf(loadNativeParser().addon === null)("prunes every prefix of real parse trees as the regex does (prune_inert_nodes.c)", () => {
    const addon = loadNativeParser().addon!;
    const statements = [
      "SELECT a, t.b, s.t.c, t.* FROM t WHERE x = $1 AND y = 5 AND z IN ($2, $3)",
      "UPDATE t SET a = $1, b = c WHERE i = j RETURNING *, k AS l",
      `SELECT "{""ColumnRef"":{""fields"":[]}}", "x\\", $1 AS "ResTarget" FROM "A_Expr"`,
    ];
    const inputs: string[] = [];
    for (const sql of statements) {
      const json = addon.parse(sql) as string;
      for (let n = 1; n <= json.length; n++) inputs.push(json.slice(0, n));
    }
    const binary = build("prune_harness", ["test/prune_harness.c", "prune_inert_nodes.c"]);
    const run = spawnSync(binary, { input: inputs.join("\n") + "\n", encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    const lines = run.stdout.split("\n").slice(0, -1);
    expect(lines.length).toBe(inputs.length);
    for (let i = 0; i < inputs.length; i++) expect({ input: inputs[i], pruned: lines[i] }).toEqual({ input: inputs[i], pruned: pruneInertNodes(inputs[i]!) });
  });
});
