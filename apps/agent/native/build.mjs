#!/usr/bin/env node
// Builds mapped_file.node (the SQL audit spool's memory-mapped segments, see mapped_file.c) when it is missing
// or older than its sources. Needs only a C compiler and Node's headers: no library to fetch.
//
// Without them this prints why and exits 0: the spool then appends with write(2) and holds each result until
// its event is written (same guarantees, ~3 µs more per audited statement). `--strict` exits 1 instead; npm
// test notices a fallback by itself (mapped-file.test.ts).
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { rebuild, run } from "../../../scripts/node-gyp.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const addon = join(here, "build", "Release", "mapped_file.node");
const sources = ["mapped_file.c", "binding.gyp", "build.mjs"].map((f) => join(here, f));
const strict = process.argv.includes("--strict");

const say = (message) => console.log(`[agent-native] ${message}`);

const upToDate = () => existsSync(addon) && sources.every((f) => statSync(f).mtimeMs <= statSync(addon).mtimeMs);

if (upToDate()) {
  say("up to date");
  process.exit(0);
}
if (process.platform !== "linux") {
  say(`not built: memory-mapped spool segments are built for Linux only (this is ${process.platform}); the spool uses write(2).`);
  process.exit(strict ? 1 : 0);
}
try {
  say("compiling");
  rebuild(here);
  // Loading it here catches an addon that links but cannot load (wrong ABI) before anything relies on it.
  run(process.execPath, ["-e", `const m = require(${JSON.stringify(addon)}); if (typeof m.map !== "function") throw new Error("no map()")`]);
  say(`built ${addon}`);
} catch (err) {
  say(`not built: ${err instanceof Error ? err.message : String(err)}. The audit spool uses write(2) and holds results until written.`);
  process.exit(strict ? 1 : 0);
}
