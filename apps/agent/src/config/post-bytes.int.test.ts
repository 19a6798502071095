import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AgentApiClient } from "./api-client";
import { BytesPoster } from "./post-bytes";

// The audit batches' POST over node:http, against a real loopback HTTP server.

let server: Server | null = null;
const posters: BytesPoster[] = [];

afterEach(async () => {
  for (const p of posters.splice(0)) p.close();
  if (server !== null) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = null;
});

async function serve(handler: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void): Promise<URL> {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/agent/v1/audit`);
}

function poster(): BytesPoster {
  const p = new BytesPoster();
  posters.push(p);
  return p;
}

describe("BytesPoster", () => {
  it("sends the bytes whole with their length and headers, and returns the status and the answer", async () => {
    const seen: { length: string | undefined; auth: string | undefined; body: Buffer }[] = [];
    const url = await serve((req, body, res) => {
      seen.push({ length: req.headers["content-length"], auth: req.headers.authorization, body });
      res.writeHead(202, { "content-type": "application/json" }).end('{"accepted":3}');
    });
    // 4 MiB, the largest segment: arrives byte for byte.
    const body = Buffer.alloc(4 * 1024 * 1024, "x");
    body[0] = 0x7b;
    body[body.length - 1] = 0x7d;
    const p = poster();
    const first = await p.post(url, { authorization: "Bearer t" }, body, 5_000);
    expect(first).toEqual({ status: 202, statusText: "Accepted", text: '{"accepted":3}' });
    // The kept-alive connection serves the next batch; a string body is measured in bytes, not characters.
    const second = await p.post(url, {}, '{"é":1}', 5_000);
    expect(second.status).toBe(202);
    expect(seen).toHaveLength(2);
    expect(seen[0]!.length).toBe(String(body.length));
    expect(seen[0]!.auth).toBe("Bearer t");
    expect(seen[0]!.body.equals(body)).toBe(true);
    expect(seen[1]!.length).toBe("8"); // 7 characters, 8 bytes
    expect(seen[1]!.body.toString("utf8")).toBe('{"é":1}');
  });

  it("an answer sent before the body was read still settles the post, once the socket let go of the body", async () => {
    server = createServer((_req, res) => {
      // Refuses at once, without reading the 8 MiB, and closes the connection.
      res.writeHead(413, { connection: "close" }).end("too large");
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/agent/v1/audit`);
    const outcome = await poster()
      .post(url, {}, Buffer.alloc(8 * 1024 * 1024, "x"), 5_000)
      .then((r) => `answered ${r.status}`, (err: Error) => `failed: ${err.message}`);
    // Either is right (the server may reset the connection before our side read its answer); hanging is not.
    expect(outcome).toMatch(/^(answered 413|failed: .+)$/);
    expect(outcome).not.toMatch(/no answer within/);
  });

  it("an answer whose server then stops reading the body still ends in the timeout, never a hang", async () => {
    // A raw server: answers 200 as soon as the headers are in, then reads nothing more and keeps the connection.
    const sockets: Socket[] = [];
    const raw = createNetServer((socket) => {
      sockets.push(socket);
      socket.once("data", () => {
        socket.pause();
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 14\r\n\r\n{"accepted":1}');
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", () => resolve()));
    try {
      const url = new URL(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/api/agent/v1/audit`);
      const started = Date.now();
      // 32 MiB: more than the kernel's socket buffers take, so the body cannot all be written.
      const err = await poster()
        .post(url, {}, Buffer.alloc(32 * 1024 * 1024, "x"), 500)
        .then(() => null, (e: Error) => e);
      expect(err?.name).toBe("TimeoutError");
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it("gives up after the timeout when the server never answers", async () => {
    const url = await serve(() => {
      // never answers
    });
    const err = await poster()
      .post(url, {}, "{}", 200)
      .then(() => null, (e: Error) => e);
    expect(err?.name).toBe("TimeoutError");
  });

  it("stops when its signal aborts", async () => {
    const url = await serve(() => {
      // never answers
    });
    const aborter = new AbortController();
    const pending = poster()
      .post(url, {}, "{}", 60_000, aborter.signal)
      .then(() => null, (e: Error) => e);
    setTimeout(() => aborter.abort(), 50);
    expect((await pending)?.name).toBe("AbortError");
  });
});

describe("AgentApiClient.postAudit", () => {
  it("reads the acknowledgement, the refusal's error text, and names a console that is not running", async () => {
    let answer: [number, string] = [200, '{"accepted":2}'];
    const url = await serve((_req, _body, res) => res.writeHead(answer[0], { "content-type": "application/json" }).end(answer[1]));
    const api = new AgentApiClient({ baseUrl: url.origin, token: "t", userAgent: "test" });
    try {
      expect(await api.postAudit(Buffer.from('{"events":[]}'))).toEqual({ ok: true, accepted: 2 });
      answer = [400, '{"error":"event 1: statement is required"}'];
      expect(await api.postAudit("{}")).toEqual({ ok: false, status: 400, message: "POST /api/agent/v1/audit answered 400: event 1: statement is required" });
      answer = [502, ""]; // a proxy in front of the console, no body: the reason phrase
      expect(await api.postAudit("{}")).toEqual({ ok: false, status: 502, message: "POST /api/agent/v1/audit answered 502: Bad Gateway" });
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = null;
      api.close(); // the kept-alive connection to the stopped server
      const down = await api.postAudit("{}");
      expect(down).toEqual({ ok: false, status: null, message: "POST /api/agent/v1/audit failed: connection refused: is the console running?" });
    } finally {
      api.close();
    }
  });
});
