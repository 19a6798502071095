import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { buildConfig } from "../testing/config-builder";
import { LAST_KNOWN_GOOD_FILE, loadConfigFile, loadLastKnownGood, saveLastKnownGood } from "./last-known-good";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lkg-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const config = (revision: number) =>
  buildConfig({
    revision,
    virtualDatabases: [{ name: "v", backends: [{ name: "b", database: "d", password: "backend-secret" }] }],
    credentials: [{ name: "c", password: "pw", virtualDatabases: ["v"] }],
  });

test("saved 0600 in a 0700 directory, atomically replaced, loaded back", async () => {
  const state = join(dir, "nested", "state");
  await saveLastKnownGood(state, config(1));
  await saveLastKnownGood(state, config(2));
  expect(statSync(join(state, LAST_KNOWN_GOOD_FILE)).mode & 0o777).toBe(0o600);
  expect(statSync(state).mode & 0o777).toBe(0o700);
  expect(readdirSync(state)).toEqual([LAST_KNOWN_GOOD_FILE]);
  const loaded = await loadLastKnownGood(state);
  expect(loaded.problem).toBeNull();
  expect(loaded.config?.revision).toBe(2);
  expect(loaded.config?.virtualDatabases[0]?.backends[0]?.password).toBe("backend-secret");
});

test("nothing saved yet: no config, no problem", async () => {
  expect(await loadLastKnownGood(dir)).toEqual({ config: null, problem: null });
});

test("a corrupt or invalid file is reported, not thrown", async () => {
  writeFileSync(join(dir, LAST_KNOWN_GOOD_FILE), "{ half a fi");
  expect((await loadLastKnownGood(dir)).problem).toMatch(/not valid JSON/);
  writeFileSync(join(dir, LAST_KNOWN_GOOD_FILE), JSON.stringify({ revision: "x" }));
  expect((await loadLastKnownGood(dir)).problem).toMatch(/not an AgentConfig: revision/);
});

test("a bad static config file throws naming the variable and the file", async () => {
  const file = join(dir, "static.json");
  await expect(loadConfigFile(file)).rejects.toThrow(/DBMESH_AGENT_CONFIG_FILE .*static\.json cannot be read/);
  writeFileSync(file, "[]");
  await expect(loadConfigFile(file)).rejects.toThrow(/DBMESH_AGENT_CONFIG_FILE .*not an AgentConfig/);
});
