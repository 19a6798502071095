import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { StubConsole } from "../testing/stub-console";
import { AuditPostThread } from "./post-thread";

// The audit post thread against a real HTTP server on loopback: what the main thread's sender sees of a post is
// what AgentApiClient.postAudit would have answered in-thread.

const log = pino({ level: "silent" });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const options = (baseUrl: string, token: string) => ({ baseUrl, token, userAgent: "dbmesh-agent/test" });

describe("AuditPostThread", () => {
  it("posts a body that lies in shared memory (as the sender's does) and one that does not, and answers with the console's acknowledgement", async () => {
    const stub = new StubConsole("dbmag_thread");
    await stub.start();
    closers.push(() => stub.stop());
    const thread = new AuditPostThread(options(stub.url, "dbmag_thread"), log);
    closers.push(() => thread.close());
    const text = '{"events":[{"part":0,"virtualDatabase":"v","statement":"SELECT 1"},{"id":"e1","part":0,"rows":1},{"id":"e2","part":0,"rows":2}]}';
    const shared = Buffer.from(new SharedArrayBuffer(text.length + 16)).subarray(8, 8 + text.length);
    shared.write(text);
    expect(await thread.post(shared, new AbortController().signal)).toEqual({ ok: true, accepted: 2 });
    expect(await thread.post(Buffer.from(text), new AbortController().signal)).toEqual({ ok: true, accepted: 0 });
    expect(await thread.post('{"events":[{"id":"e3","statement":"SELECT 3"}]}', new AbortController().signal)).toEqual({ ok: true, accepted: 1 });
    expect(stub.auditEvents.get("e2")).toEqual({ id: "e2", virtualDatabase: "v", statement: "SELECT 1", rows: 2 });
    expect(stub.auditPosts).toBe(3);
  });

  it("answers a refusal, a wrong token and an unreachable console as failures with their status, never throwing", async () => {
    const stub = new StubConsole("dbmag_right");
    await stub.start();
    closers.push(() => stub.stop());
    const signal = new AbortController().signal;
    const wrong = new AuditPostThread(options(stub.url, "dbmag_wrong"), log);
    closers.push(() => wrong.close());
    expect(await wrong.post('{"events":[]}', signal)).toMatchObject({ ok: false, status: 401 });
    const right = new AuditPostThread(options(stub.url, "dbmag_right"), log);
    closers.push(() => right.close());
    expect(await right.post('{"events":[{"id":"a","part":9}]}', signal)).toMatchObject({ ok: false, status: 400, message: /no part 9/ });
    stub.auditDown = true;
    expect(await right.post('{"events":[]}', signal)).toMatchObject({ ok: false, status: 503 });
    const nowhere = new AuditPostThread(options("http://127.0.0.1:1", "dbmag_right"), log);
    closers.push(() => nowhere.close());
    expect(await nowhere.post('{"events":[]}', signal)).toMatchObject({ ok: false, status: null });
  });

  it("gives up a post when its signal aborts, and resolves one in flight as failed when closed", async () => {
    // A console that never answers.
    const server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const thread = new AuditPostThread(options(url, "t"), log);
    const aborter = new AbortController();
    const aborted = thread.post('{"events":[]}', aborter.signal);
    setTimeout(() => aborter.abort(), 100);
    expect(await aborted).toMatchObject({ ok: false, status: null });
    const inFlight = thread.post('{"events":[]}', new AbortController().signal);
    await new Promise((r) => setTimeout(r, 100));
    await thread.close();
    expect(await inFlight).toMatchObject({ ok: false, status: null });
    expect(await thread.post('{"events":[]}', new AbortController().signal)).toMatchObject({ ok: false, message: /closed/ });
  });
});
