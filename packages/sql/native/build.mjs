#!/usr/bin/env node
// Builds the native SQL parser (pg_query_native.node) when it is missing or older than its sources.
//
// libpg_query itself comes prebuilt for Linux x64 inside the npm package libpg-query@17.1.0 (the last
// release that ships its static library; later ones are WASM only). We fetch that tarball with `npm pack`
// (so npm's registry, proxy and CA settings apply), check it against the integrity pinned below, and take
// only libpg_query.a and pg_query.h from it: the package's own install script would try GitHub and S3. Its
// appendStringInfo is marked weak, for fast_append_string_info.c.
// Then node-gyp links our N-API wrapper against it, with the Node headers npm is set to build against.
//
// Without a compiler, on another platform, or offline, this prints why and exits 0: the parser falls back
// to the WASM build (same output, slower). `--strict` exits 1 instead, for a build that must not fall back
// (an image for production, say); npm test notices a fallback by itself (native-parser.test.ts).
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { rebuild, run } from "../../../scripts/node-gyp.mjs";

const PACKAGE = "libpg-query@17.1.0";
const INTEGRITY = "sha512-PsQ6SOGNEn4Qsv71jd1i90DcTajBuHN2RCE5L7tXi/WmOoOTZItxC9s5vHrfnlnG+Lg6NPTVpfG/WJHWXqzZrg==";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "vendor");
const library = join(vendor, "lib", "libpg_query.a");
const header = join(vendor, "include", "pg_query.h");
const addon = join(here, "build", "Release", "pg_query_native.node");
const marker = join(vendor, "READY");
// What vendor/ holds; a different one (an older build of this script) is fetched again.
const VENDORED = `${PACKAGE} ${INTEGRITY} appendStringInfo weak`;
const sources = ["pg_query_native.c", "fast_append_string_info.c", "prune_inert_nodes.c", "prune_inert_nodes.h", "string_info.h", "binding.gyp", "build.mjs"].map((f) => join(here, f));
const strict = process.argv.includes("--strict");

const say = (message) => console.log(`[sql-native] ${message}`);

function giveUp(reason) {
  say(`not built: ${reason}. SQL analysis uses the WASM parser (same results; a new statement takes ~1.3x as long to analyze).`);
  process.exit(strict ? 1 : 0);
}

function upToDate() {
  if (!existsSync(addon)) return false;
  const built = statSync(addon).mtimeMs;
  return sources.every((f) => statSync(f).mtimeMs <= built);
}

function fetchLibrary() {
  const scratch = mkdtempSync(join(tmpdir(), "pg-query-native-"));
  try {
    const packed = JSON.parse(run("npm", ["pack", PACKAGE, "--json", "--pack-destination", scratch], { cwd: scratch }));
    const tarball = join(scratch, packed[0].filename);
    const digest = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
    if (digest !== INTEGRITY) throw new Error(`${PACKAGE} does not match its pinned integrity (got ${digest})`);
    run("tar", ["-xzf", tarball, "-C", scratch, "package/libpg_query/linux/libpg_query.a", "package/libpg_query/include/pg_query.h"]);
    mkdirSync(dirname(library), { recursive: true });
    mkdirSync(dirname(header), { recursive: true });
    copyFileSync(join(scratch, "package/libpg_query/include/pg_query.h"), header);
    copyFileSync(join(scratch, "package/libpg_query/linux/libpg_query.a"), library);
    // fast_append_string_info.c replaces this one function (see there).
    run("objcopy", ["--weaken-symbol=appendStringInfo", library]);
    writeFileSync(marker, VENDORED);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (upToDate()) {
  say("up to date");
  process.exit(0);
}
if (process.platform !== "linux" || process.arch !== "x64") giveUp(`${PACKAGE} ships libpg_query prebuilt for Linux x64 only (this is ${process.platform} ${process.arch})`);
try {
  if (!existsSync(marker) || readFileSync(marker, "utf8") !== VENDORED || !existsSync(library) || !existsSync(header)) {
    say(`fetching libpg_query from ${PACKAGE}`);
    fetchLibrary();
  }
  say("compiling");
  rebuild(here);
  // Loading it here catches a library that links but cannot load (wrong ABI) before anything relies on it.
  run(process.execPath, ["-e", `const p = require(${JSON.stringify(addon)}).parse("SELECT 1"); if (typeof p !== "string") throw new Error(JSON.stringify(p))`]);
  say(`built ${addon}`);
} catch (err) {
  giveUp(err instanceof Error ? err.message : String(err));
}
