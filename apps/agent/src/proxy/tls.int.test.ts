import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Agent } from "../agent";
import { buildConfig } from "../testing/config-builder";
import { psql } from "../testing/psql";
import { startTestAgent } from "../testing/test-agent";

// SSLRequest answered 'S' and the connection upgraded when the agent has a certificate.

let dir: string;
let agent: Agent;
const creds = { user: "app", password: "pw-tls", database: "secure" };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dbmesh-agent-tls-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  agent = await startTestAgent(
    buildConfig({
      virtualDatabases: [{ name: "secure", backends: [{ name: "pg-main", database: "postgres" }] }],
      credentials: [{ name: "app", password: "pw-tls", virtualDatabases: ["secure"] }],
    }),
    { tls: createSecureContext({ cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) }) },
  );
});

afterAll(async () => {
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("psql with sslmode=require gets TLS", async () => {
  const r = await psql(agent.address?.port as number, { ...creds, args: ["-c", "\\conninfo", "-c", "select 1"], env: { PGSSLMODE: "require" } });
  expect(r.stderr).toBe("");
  expect(r.stdout).toMatch(/SSL connection \(protocol: TLSv1\.[23]/);
});

test("pg with ssl gets TLS and runs queries", async () => {
  const c = new pg.Client({ host: "127.0.0.1", port: agent.address?.port, ...creds, ssl: { rejectUnauthorized: false } });
  await c.connect();
  try {
    expect((await c.query("select $1::int as n", [5])).rows[0].n).toBe(5);
    const stream = (c as unknown as { connection: { stream: { encrypted?: boolean } } }).connection.stream;
    expect(stream.encrypted).toBe(true);
  } finally {
    await c.end();
  }
});

test("plain-text clients still work when TLS is available", async () => {
  const r = await psql(agent.address?.port as number, { ...creds, args: ["-Atc", "select 1"], env: { PGSSLMODE: "disable" } });
  expect(r.stdout.trim()).toBe("1");
});

test("bytes sent after the SSLRequest before the handshake are refused (CVE-2021-23214)", async () => {
  const ssl = Buffer.alloc(8);
  ssl.writeInt32BE(8, 0);
  ssl.writeInt32BE(80877103, 4);
  const data = await new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: "127.0.0.1", port: agent.address?.port as number }, () => s.write(Buffer.concat([ssl, Buffer.from("stuffed")])));
    s.on("data", (d) => chunks.push(d));
    s.on("error", () => {});
    s.on("close", () => resolve(Buffer.concat(chunks)));
  });
  expect(data[0]).toBe(0x45); // ErrorResponse, no 'S'
  expect(data.toString("latin1")).toContain("unencrypted data after SSL request");
});
