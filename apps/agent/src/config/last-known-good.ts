import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { AgentConfig } from "@dbmesh/mesh";

// The last config the agent applied, kept on disk so that a restart with the console unreachable still serves.
// It holds backend passwords: the file is 0600 in a 0700 directory, written to a temp file, fsynced and renamed
// into place, so a crash leaves either the old file or the new one, never half of one.

export const LAST_KNOWN_GOOD_FILE = "config.json";

export async function saveLastKnownGood(stateDir: string, config: AgentConfig): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const target = join(stateDir, LAST_KNOWN_GOOD_FILE);
  const temp = join(stateDir, `.${LAST_KNOWN_GOOD_FILE}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const file = await open(temp, "wx", 0o600);
  try {
    await file.writeFile(JSON.stringify(config));
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  // The rename itself must survive a power cut too.
  const dir = await open(stateDir, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** The saved config, or null when there is none; an unreadable or invalid file is reported, not thrown. */
export async function loadLastKnownGood(stateDir: string): Promise<{ config: AgentConfig | null; problem: string | null }> {
  const path = join(stateDir, LAST_KNOWN_GOOD_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { config: null, problem: null };
    return { config: null, problem: `cannot read ${path}: ${(err as Error).message}` };
  }
  const parsed = parseConfigText(text);
  return parsed.ok ? { config: parsed.config, problem: null } : { config: null, problem: `${path}: ${parsed.problem}` };
}

/** A static config file (DBMESH_AGENT_CONFIG_FILE). Throws with a message naming the file and what is wrong. */
export async function loadConfigFile(path: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new Error(`DBMESH_AGENT_CONFIG_FILE ${path} cannot be read: ${(err as Error).message}`);
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) throw new Error(`DBMESH_AGENT_CONFIG_FILE ${path}: ${parsed.problem}`);
  return parsed.config;
}

function parseConfigText(text: string): { ok: true; config: AgentConfig } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `not valid JSON (${(err as Error).message})` };
  }
  const parsed = AgentConfig.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    return { ok: false, problem: `not an AgentConfig: ${issues.join("; ")}` };
  }
  return { ok: true, config: parsed.data };
}
