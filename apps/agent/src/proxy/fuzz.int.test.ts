import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Agent } from "../agent";
import { parseErrorFields } from "../pg/errors";
import { startupMessage } from "../pg/messages";
import { buildConfig } from "../testing/config-builder";
import { connectClient, startTestAgent } from "../testing/test-agent";

// Hostile and broken clients: each gets a clean error (or a closed socket) and the agent keeps serving others.

let agent: Agent;
let port: number;
const creds = { user: "app", password: "pw-fuzz", database: "fz" };

beforeAll(async () => {
  agent = await startTestAgent(
    buildConfig({
      virtualDatabases: [{ name: "fz", backends: [{ name: "pg-main", database: "postgres" }], strategy: { connectionPool: { maxSize: 4 } } }],
      credentials: [{ name: "app", password: "pw-fuzz", virtualDatabases: ["fz"] }],
    }),
    { maxMessageBytes: 1024 * 1024, handshakeTimeoutMs: 2_000 },
  );
  port = agent.address?.port as number;
});

afterAll(async () => {
  await agent?.stop();
});

/** Sends bytes, collects what comes back until the agent closes (or `ms` pass). */
function exchange(bytes: Buffer | Buffer[], ms = 2_000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket: Socket = connect({ host: "127.0.0.1", port });
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", () => {});
    socket.on("close", () => finish(true));
    socket.on("connect", () => {
      for (const b of Array.isArray(bytes) ? bytes : [bytes]) socket.write(b);
    });
  });
}

function firstError(data: Buffer): Record<string, string> | null {
  let pos = 0;
  while (pos + 5 <= data.length) {
    const type = data[pos];
    const len = data.readInt32BE(pos + 1);
    if (type === 0x45) return parseErrorFields(data.subarray(pos + 5, pos + 1 + len));
    pos += 1 + len;
  }
  return null;
}

async function stillServes(): Promise<void> {
  const c = await connectClient(agent, creds);
  try {
    expect((await c.query("select 42 as n")).rows[0].n).toBe(42);
  } finally {
    await c.end();
  }
}

describe("startup", () => {
  test("an HTTP request instead of a startup packet: FATAL 08P01, closed", async () => {
    const r = await exchange(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect(r.closed).toBe(true);
    expect(firstError(r.data)).toMatchObject({ S: "FATAL", C: "08P01" });
    await stillServes();
  });

  test("an unknown protocol version: FATAL 08P01", async () => {
    const b = Buffer.alloc(8);
    b.writeInt32BE(8, 0);
    b.writeInt32BE(0x00020000, 4);
    const r = await exchange(b);
    expect(firstError(r.data)).toMatchObject({ C: "08P01" });
  });

  test("a startup packet without a terminator: FATAL 08P01", async () => {
    const body = Buffer.from("\0\x03\0\0user\0app\0database\0fz", "latin1");
    const len = Buffer.alloc(4);
    len.writeInt32BE(body.length + 4, 0);
    const r = await exchange(Buffer.concat([len, body]));
    expect(firstError(r.data)).toMatchObject({ C: "08P01" });
  });

  test("a startup packet without user: FATAL 28000", async () => {
    const r = await exchange(startupMessage({ database: "fz" }));
    expect(firstError(r.data)).toMatchObject({ C: "28000" });
  });

  test("GSSENCRequest is answered N, then the normal startup works", async () => {
    const gss = Buffer.alloc(8);
    gss.writeInt32BE(8, 0);
    gss.writeInt32BE(80877104, 4);
    const r = await exchange([gss, startupMessage({ user: "app", database: "fz" })], 500);
    expect(r.data[0]).toBe(0x4e); // 'N'
    expect(r.data[1]).toBe(0x52); // then AuthenticationSASL
  });

  test("a client that connects and sends nothing is dropped after the handshake timeout", async () => {
    const r = await exchange(Buffer.alloc(0), 4_000);
    expect(r.closed).toBe(true);
  });
});

describe("after login", () => {
  async function loggedInSocket(): Promise<{ socket: Socket; received: Buffer[]; closed: Promise<void> }> {
    const { default: pg } = await import("pg");
    // Log in with pg, then take over its socket to send raw bytes.
    const c = new pg.Client({ host: "127.0.0.1", port, ...creds });
    c.on("error", () => {});
    await c.connect();
    const socket = (c as unknown as { connection: { stream: Socket } }).connection.stream;
    socket.removeAllListeners("data");
    const received: Buffer[] = [];
    socket.on("data", (d: Buffer) => received.push(d));
    socket.on("error", () => {});
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    return { socket, received, closed };
  }

  test("a message over the size limit: FATAL 08P01 naming the limit, and only that client is closed", async () => {
    const other = await connectClient(agent, creds);
    const { socket, received, closed } = await loggedInSocket();
    const header = Buffer.alloc(5);
    header[0] = 0x51;
    header.writeInt32BE(10 * 1024 * 1024, 1);
    socket.write(header);
    await closed;
    const err = firstError(Buffer.concat(received));
    expect(err).toMatchObject({ S: "FATAL", C: "08P01" });
    expect(err?.M).toMatch(/exceeds the agent's limit of 1048576 bytes/);
    expect((await other.query("select 1 as n")).rows[0].n).toBe(1);
    await other.end();
  });

  test("an invalid message type: FATAL 08P01", async () => {
    const { socket, received, closed } = await loggedInSocket();
    socket.write(Buffer.from([0x7a, 0, 0, 0, 4]));
    await closed;
    expect(firstError(Buffer.concat(received))).toMatchObject({ C: "08P01" });
  });

  test("a Query without its terminating NUL: FATAL 08P01", async () => {
    const { socket, received, closed } = await loggedInSocket();
    socket.write(Buffer.concat([Buffer.from([0x51, 0, 0, 0, 12]), Buffer.from("select 1")]));
    await closed;
    expect(firstError(Buffer.concat(received))).toMatchObject({ C: "08P01" });
  });

  test("1,000 random malformed messages from fuzz clients: the agent still serves others", async () => {
    const types = [0x51, 0x50, 0x42, 0x44, 0x45, 0x43, 0x53, 0x48, 0x64, 0x63, 0x66, 0x46, 0x58, 0x70, 0x00, 0xff, 0x7a];
    const messages: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      const type = types[i % types.length] as number;
      const body = randomBytes(i % 64);
      const header = Buffer.alloc(5);
      header[0] = type;
      // Mostly honest lengths with garbage bodies; sometimes lies (short, negative, huge).
      const lie = i % 7 === 0 ? [0, 3, -1, 0x7fffffff, body.length + 100][i % 5] : body.length + 4;
      header.writeInt32BE(lie as number, 1);
      messages.push(Buffer.concat([header, body]));
    }
    const watcher = await connectClient(agent, creds);
    // 50 fuzz clients, 20 messages each, sent after a real login; a few sent as the startup packet itself.
    const runs: Promise<unknown>[] = [];
    for (let client = 0; client < 50; client++) {
      const batch = messages.slice(client * 20, client * 20 + 20);
      if (client % 10 === 0) {
        runs.push(exchange(batch, 1_000));
        continue;
      }
      runs.push(
        loggedInSocket().then(async ({ socket, closed }) => {
          for (const m of batch) socket.write(m);
          await Promise.race([closed, new Promise((r) => setTimeout(r, 1_000))]);
          socket.destroy();
        }),
      );
    }
    await Promise.all(runs);
    expect((await watcher.query("select 'alive' as s")).rows[0].s).toBe("alive");
    await watcher.end();
    await stillServes();
    // No server connection leaked beyond the pool size.
    for (const pool of agent.runtime.pools.values()) expect(pool.size).toBeLessThanOrEqual(4);
  });
});
