import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The native parser's own appendStringInfo (native/fast_append_string_info.c) on the formats libpg_query's
// writer never uses, compiled with the C compiler that builds the addon and compared with printf by
// native/test/format_harness.c. Skipped on a machine without one, which cannot build the addon either.
const native = fileURLToPath(new URL("../native/", import.meta.url));
const compiler = ["cc", "gcc", "clang"].find((cc) => spawnSync(cc, ["--version"]).status === 0);

describe("the native parser's appendStringInfo", () => {
  it.skipIf(compiler === undefined)("writes every format as printf does (skipped without a C compiler)", () => {
    const dir = mkdtempSync(join(tmpdir(), "dbmesh-format-"));
    try {
      const binary = join(dir, "format_harness");
      const sources = [join(native, "test/format_harness.c"), join(native, "fast_append_string_info.c")];
      const flags = ["-O2", "-Wall", "-Wno-format-extra-args", "-o", binary];
      // With the sanitizers where the compiler has them: an overrun of the copy slack fails the run.
      let build = spawnSync(compiler!, ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", ...flags, ...sources], { encoding: "utf8" });
      if (build.status !== 0) build = spawnSync(compiler!, [...flags, ...sources], { encoding: "utf8" });
      expect(build.stderr).toBe("");
      const run = spawnSync(binary, { encoding: "utf8" });
      expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: "all passed\n" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
