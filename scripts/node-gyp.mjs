// How our native addons (packages/sql/native, apps/agent/native) run node-gyp: npm's own copy, against the Node
// headers npm is set to build against — node-gyp left to itself would download headers, and only the npm
// registry is reachable from where we build.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Runs a command; its stdout, or an Error with the tail of what it printed. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${(result.stderr || result.stdout).trim().slice(-2000)}`);
  return result.stdout;
}

/** npm's own node-gyp: on PATH inside npm scripts, else next to npm's CLI. */
function nodeGyp() {
  const probe = spawnSync("node-gyp", ["--version"], { encoding: "utf8" });
  if (probe.status === 0) return { command: "node-gyp", prefix: [] };
  const npmRoot = run("npm", ["root", "-g"], { cwd: tmpdir() }).trim();
  const script = join(npmRoot, "npm", "node_modules", "node-gyp", "bin", "node-gyp.js");
  if (!existsSync(script)) throw new Error("node-gyp not found (neither on PATH nor inside npm)");
  return { command: process.execPath, prefix: [script] };
}

/** The Node headers npm is configured to build against (`nodedir`); node-gyp alone would download them. */
function nodeDir() {
  const configured = process.env.npm_config_nodedir || run("npm", ["config", "get", "nodedir"], { cwd: tmpdir() }).trim();
  if (configured && configured !== "undefined" && configured !== "null") return [`--nodedir=${configured}`];
  // Distribution packages put them under the prefix Node was installed to (/usr/include/node).
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, "include", "node", "node_api.h")) ? [`--nodedir=${prefix}`] : [];
}

/** `node-gyp rebuild` of the binding.gyp in `directory`. Throws with the compiler's complaint. */
export function rebuild(directory) {
  const gyp = nodeGyp();
  run(gyp.command, [...gyp.prefix, "rebuild", "--directory", directory, ...nodeDir()], { cwd: directory });
}
