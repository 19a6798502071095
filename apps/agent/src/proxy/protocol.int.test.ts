import { connect, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Agent } from "../agent";
import type { SocketWriter } from "../net/socket-writer";
import { cancelRequest, query } from "../pg/messages";
import { buildConfig } from "../testing/config-builder";
import { adminQuery, createScratchDatabase } from "../testing/postgres";
import { psql } from "../testing/psql";
import { clientFor, connectClient, startTestAgent } from "../testing/test-agent";

// The wire protocol through the agent, with real clients (pg, psql) against the real local PostgreSQL.

const DB = "agent_protocol_it";
const creds = { user: "app", password: "s3cret-app", database: "demo" };
let agent: Agent;
let db: { drop(): Promise<void> };
let port: number;

beforeAll(async () => {
  db = await createScratchDatabase(DB);
  await adminQuery("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)", DB);
  agent = await startTestAgent(
    buildConfig({
      virtualDatabases: [
        { name: "demo", backends: [{ name: "pg-main", database: DB }] },
        { name: "other", backends: [{ name: "pg-main", database: DB }] },
      ],
      credentials: [
        { name: "app", password: creds.password, virtualDatabases: ["demo"] },
        { name: "app2", password: "another", virtualDatabases: ["other"] },
      ],
    }),
  );
  port = agent.address?.port as number;
});

afterAll(async () => {
  await agent?.stop();
  await db?.drop();
});

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await connectClient(agent, creds);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function connectError(opts: { user: string; password: string; database: string }): Promise<{ code?: string; message: string }> {
  const c = clientFor(agent, opts);
  c.on("error", () => {});
  try {
    await c.connect();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  await c.end();
  throw new Error("connected, but expected a refusal");
}

describe("queries", () => {
  test("simple protocol, several statements in one Query", async () => {
    await withClient(async (c) => {
      const results = (await c.query("select 1 as a; select 'two' as b")) as unknown as pg.QueryResult[];
      expect(results.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: "two" }]]);
    });
  });

  test("extended protocol with parameters of several types", async () => {
    await withClient(async (c) => {
      const r = await c.query("select $1::int + 1 as n, $2::text || '!' as t, $3::jsonb as j, $4::bytea as b", [41, "hi", { a: [1] }, Buffer.from([0, 255])]);
      expect(r.rows).toEqual([{ n: 42, t: "hi!", j: { a: [1] }, b: Buffer.from([0, 255]) }]);
    });
  });

  test("a large result streams through whole", async () => {
    await withClient(async (c) => {
      const r = await c.query("select g, repeat('x', 1000) as pad from generate_series(1, 20000) g");
      expect(r.rowCount).toBe(20000);
      expect(r.rows[19999].g).toBe(20000);
      expect(r.rows[123].pad).toHaveLength(1000);
    });
  });

  test("a large parameter (2 MB) goes through", async () => {
    await withClient(async (c) => {
      const big = "y".repeat(2 * 1024 * 1024);
      const r = await c.query("select length($1::text) as n", [big]);
      expect(r.rows[0].n).toBe(big.length);
    });
  });

  test("a transaction that rolls back leaves nothing", async () => {
    await withClient(async (c) => {
      await c.query("begin");
      await c.query("insert into items values (1, 'rolled back')");
      expect((await c.query("select count(*)::int as n from items where id = 1")).rows[0].n).toBe(1);
      await c.query("rollback");
      expect((await c.query("select count(*)::int as n from items where id = 1")).rows[0].n).toBe(0);
    });
  });

  test("an error mid-transaction aborts it; ROLLBACK makes the session usable again", async () => {
    await withClient(async (c) => {
      await c.query("begin");
      await c.query("insert into items values (2, 'kept?')");
      await expect(c.query("select 1/0")).rejects.toMatchObject({ code: "22012" });
      await expect(c.query("select 1")).rejects.toMatchObject({ code: "25P02" });
      await c.query("rollback");
      expect((await c.query("select count(*)::int as n from items where id = 2")).rows[0].n).toBe(0);
      expect((await c.query("select 'ok' as s")).rows[0].s).toBe("ok");
    });
  });

  test("a syntax error outside a transaction leaves the session usable", async () => {
    await withClient(async (c) => {
      await expect(c.query("selec 1")).rejects.toMatchObject({ code: "42601" });
      expect((await c.query("select 3 as n")).rows[0].n).toBe(3);
    });
  });

  test("notices pass through", async () => {
    await withClient(async (c) => {
      const notices: string[] = [];
      c.on("notice", (n) => notices.push(n.message ?? ""));
      await c.query("do $$ begin raise notice 'hello from the server'; end $$");
      expect(notices).toContain("hello from the server");
    });
  });

  test("after login the client is told the server's parameters, with its own name as session_authorization", async () => {
    const c = clientFor(agent, { ...creds });
    const params = new Map<string, string>();
    (c as unknown as { connection: NodeJS.EventEmitter }).connection.on("parameterStatus", (m: { parameterName: string; parameterValue: string }) =>
      params.set(m.parameterName, m.parameterValue),
    );
    await c.connect();
    try {
      expect(params.get("server_version")).toMatch(/^15/);
      expect(params.get("client_encoding")).toBe("UTF8");
      expect(params.get("session_authorization")).toBe("app");
      expect(params.has("TimeZone")).toBe(true);
      const { processID } = c as unknown as { processID: number };
      const backendPid = (await c.query("select pg_backend_pid() as p")).rows[0].p;
      expect(processID).not.toBe(backendPid);
    } finally {
      await c.end();
    }
  });
});

describe("backpressure", () => {
  test("a client that stops reading a 100 MB result makes the agent pause the backend, not buffer it", async () => {
    const c = await connectClient(agent, creds);
    const socket = (c as unknown as { connection: { stream: Socket } }).connection.stream;
    socket.removeAllListeners("data");
    socket.pause();
    socket.write(query("select repeat('x', 1000) from generate_series(1, 100000)"));
    await new Promise((r) => setTimeout(r, 1_000));
    const session = [...agent.runtime.sessions].find((s) => (s as unknown as { processId: number }).processId === (c as unknown as { processID: number }).processID);
    const inner = session as unknown as { clientWriter: SocketWriter; serverPaused: boolean };
    expect(inner.serverPaused).toBe(true);
    // Held in the agent: what the client socket has not taken (in Writable, or in libuv for a direct write).
    expect(inner.clientWriter.bufferedBytes).toBeGreaterThan(0);
    expect(inner.clientWriter.bufferedBytes).toBeLessThan(8 * 1024 * 1024);

    // Reading again drains the whole result, through to ReadyForQuery.
    let total = 0;
    let tail = Buffer.alloc(0);
    await new Promise<void>((resolve) => {
      socket.on("data", (d: Buffer) => {
        total += d.length;
        tail = Buffer.concat([tail, d]).subarray(-6);
        if (tail[0] === 0x5a && tail.readInt32BE(1) === 5) resolve();
      });
      socket.resume();
    });
    expect(total).toBeGreaterThan(100_000 * 1000);
    socket.destroy();
  });
});

describe("COPY", () => {
  test("COPY FROM STDIN and COPY TO STDOUT through psql", async () => {
    await adminQuery("CREATE TABLE copy_t (id int, name text)", DB);
    const rows = Array.from({ length: 5000 }, (_, i) => `${i}\tname-${i}`).join("\n") + "\n";
    const load = await psql(port, { ...creds, args: ["-c", "\\copy copy_t from stdin"], input: rows });
    expect(load.stderr).toBe("");
    expect(load.code).toBe(0);
    const out = await psql(port, { ...creds, args: ["-c", "\\copy (select * from copy_t order by id) to stdout"] });
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(rows);
  });

  test("a failing COPY FROM STDIN reports the error and the session goes on", async () => {
    const bad = "1\tok\nnot-a-number\tbad\n";
    const r = await psql(port, { ...creds, args: ["-c", "\\copy copy_t from stdin"], input: bad });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid input syntax for type integer/);
  });
});

describe("cancel and notifications", () => {
  test("a CancelRequest with the agent-issued key cancels the running query", async () => {
    await withClient(async (c) => {
      const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
      const running = c.query("select pg_sleep(10)");
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      await new Promise<void>((resolve, reject) => {
        const s = connect({ host: "127.0.0.1", port }, () => s.end(cancelRequest(processID, secretKey)));
        s.on("close", () => resolve());
        s.on("error", reject);
      });
      await expect(running).rejects.toMatchObject({ code: "57014" });
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await c.query("select 1 as n")).rows[0].n).toBe(1);
    });
  });

  test("a CancelRequest with a wrong key does nothing", async () => {
    await withClient(async (c) => {
      const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
      const running = c.query("select pg_sleep(0.5) as slept");
      await new Promise<void>((resolve) => {
        const s = connect({ host: "127.0.0.1", port }, () => s.end(cancelRequest(processID, secretKey ^ 1)));
        s.on("close", () => resolve());
        s.on("error", () => resolve());
      });
      await expect(running).resolves.toBeTruthy();
    });
  });

  test("LISTEN/NOTIFY: notifications reach the listening client", async () => {
    const listener = await connectClient(agent, creds);
    const notifier = await connectClient(agent, creds);
    try {
      const got = new Promise<pg.Notification>((resolve) => listener.on("notification", resolve));
      await listener.query("listen agent_channel");
      // Other clients' traffic must not disturb the pinned listener.
      await notifier.query("select 1");
      await notifier.query("notify agent_channel, 'payload-1'");
      const n = await got;
      expect(n.channel).toBe("agent_channel");
      expect(n.payload).toBe("payload-1");
    } finally {
      await listener.end();
      await notifier.end();
    }
  });
});

describe("login", () => {
  test("wrong password → 28P01", async () => {
    const err = await connectError({ ...creds, password: "nope" });
    expect(err.code).toBe("28P01");
    expect(err.message).toMatch(/password authentication failed for user "app"/);
  });

  test("unknown user → 28P01, indistinguishable from a wrong password", async () => {
    const err = await connectError({ user: "ghost", password: "x", database: "demo" });
    expect(err.code).toBe("28P01");
  });

  test("unknown virtual database → 3D000", async () => {
    const err = await connectError({ ...creds, database: "nosuchdb" });
    expect(err.code).toBe("3D000");
    expect(err.message).toMatch(/database "nosuchdb" does not exist/);
  });

  test("a credential not granted the virtual database → 42501", async () => {
    const err = await connectError({ ...creds, database: "other" });
    expect(err.code).toBe("42501");
  });

  test("a verifier minted by PostgreSQL itself works as a credential", async () => {
    await adminQuery("SET password_encryption = 'scram-sha-256'; DROP ROLE IF EXISTS agent_verifier_probe; CREATE ROLE agent_verifier_probe PASSWORD 'minted-by-pg'");
    const verifier = (await adminQuery("select rolpassword from pg_authid where rolname = 'agent_verifier_probe'")).rows[0].rolpassword as string;
    await adminQuery("DROP ROLE agent_verifier_probe");
    const other = await startTestAgent(
      buildConfig({
        virtualDatabases: [{ name: "demo", backends: [{ name: "pg-main", database: DB }] }],
        credentials: [{ name: "minted", password: "", scramVerifier: verifier, virtualDatabases: ["demo"] }],
      }),
    );
    try {
      const c = await connectClient(other, { user: "minted", password: "minted-by-pg", database: "demo" });
      expect((await c.query("select 1 as n")).rows[0].n).toBe(1);
      await c.end();
    } finally {
      await other.stop();
    }
  });

  test("psql logs in with SCRAM (sslmode=prefer gets N and carries on)", async () => {
    const r = await psql(port, { ...creds, args: ["-Atc", "select current_user <> '' as ok"], env: { PGSSLMODE: "prefer" } });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("t");
  });

  test("psql with sslmode=require is refused cleanly when the agent has no certificate", async () => {
    const r = await psql(port, { ...creds, args: ["-c", "select 1"], env: { PGSSLMODE: "require" } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/server does not support SSL/);
  });
});
