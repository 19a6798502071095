import { createHash, randomBytes } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { SocketWriter, useDirectWrites } from "./socket-writer";

// SocketWriter writes past Writable, straight to the libuv handle (Node internals). These tests pin what the
// agent relies on over real loopback sockets, so that a Node upgrade that changes the internals fails here:
// the direct path is taken, bytes arrive whole and in order whatever mix of paths wrote them, a write the
// kernel cannot take at once says so and is followed by 'drain', and a write to a dead peer destroys the socket.

let server: Server | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
  server = null;
});

/** A connected pair: `local` (ours, written through a SocketWriter) and `peer` (accepted, paused: reads when told). */
async function pair(): Promise<{ local: Socket; peer: Socket }> {
  let accepted!: (s: Socket) => void;
  const peerReady = new Promise<Socket>((resolve) => (accepted = resolve));
  server = createServer({ pauseOnConnect: true }, (s) => accepted(s));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
  const local = connect({ host: "127.0.0.1", port: (server!.address() as { port: number }).port });
  await new Promise<void>((resolve, reject) => local.once("connect", resolve).once("error", reject));
  const peer = await peerReady;
  sockets.push(local, peer);
  return { local, peer };
}

function readAll(peer: Socket, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  return new Promise((resolve, reject) => {
    peer.on("data", (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= bytes) resolve(Buffer.concat(chunks));
    });
    peer.on("error", reject);
    peer.resume();
  });
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("SocketWriter", () => {
  test("a plain TCP socket is written directly; small writes are taken whole and arrive in order", async () => {
    const { local, peer } = await pair();
    const writer = new SocketWriter(local);
    expect(writer.isDirect).toBe(true);
    const parts = Array.from({ length: 100 }, (_, i) => Buffer.from(`message ${i};`));
    for (const p of parts) expect(writer.write(p)).toBe(true);
    expect(writer.holdsBytes).toBe(false);
    // Writable saw none of it.
    expect(local.writableLength).toBe(0);
    const all = Buffer.concat(parts);
    expect((await readAll(peer, all.length)).toString()).toBe(all.toString());
  });

  test("a write the kernel cannot take at once returns false, holds its bytes, and 'drain' follows once all is sent", async () => {
    const { local, peer } = await pair();
    const writer = new SocketWriter(local);
    // Far more than loopback's socket buffers hold while the peer does not read.
    const big = randomBytes(32 * 1024 * 1024);
    const first = writer.write(big);
    expect(first).toBe(false);
    expect(writer.holdsBytes).toBe(true);
    expect(writer.bufferedBytes).toBeGreaterThan(0);
    expect(writer.bufferedBytes).toBeLessThanOrEqual(big.length);
    // Behind it: another direct write, then one through Writable (as the login and cork paths do).
    const tail1 = Buffer.from("after the big one;");
    const tail2 = Buffer.from("through Writable!");
    expect(writer.write(tail1)).toBe(false);
    local.write(tail2);
    let drains = 0;
    const drained = new Promise<void>((resolve) => local.on("drain", () => (drains++, resolve())));
    const received = await readAll(peer, big.length + tail1.length + tail2.length);
    await drained;
    expect(drains).toBeGreaterThanOrEqual(1);
    expect(writer.holdsBytes).toBe(false);
    expect(writer.bufferedBytes).toBe(0);
    expect(received.length).toBe(big.length + tail1.length + tail2.length);
    expect(sha(received.subarray(0, big.length))).toBe(sha(big));
    expect(received.subarray(big.length).toString()).toBe("after the big one;through Writable!");
    // Back to whole writes.
    expect(writer.write(Buffer.from("x"))).toBe(true);
  });

  test("writes go through Writable while it holds bytes, so nothing overtakes them", async () => {
    const { local, peer } = await pair();
    const writer = new SocketWriter(local);
    const big = randomBytes(16 * 1024 * 1024);
    local.write(big); // Writable keeps what the kernel did not take
    expect(local.writableLength).toBeGreaterThan(0);
    writer.write(Buffer.from("behind"));
    expect(writer.holdsBytes).toBe(true);
    const received = await readAll(peer, big.length + 6);
    expect(sha(received.subarray(0, big.length))).toBe(sha(big));
    expect(received.subarray(big.length).toString()).toBe("behind");
  });

  test("a write to a peer that went away destroys the socket with the error", async () => {
    const { local, peer } = await pair();
    const writer = new SocketWriter(local);
    const closed = new Promise<Error | undefined>((resolve) => {
      let error: Error | undefined;
      local.on("error", (e) => (error = e));
      local.on("close", () => resolve(error));
    });
    peer.resetAndDestroy();
    // The reset reaches us asynchronously: write until a write fails.
    for (let i = 0; i < 200 && !local.destroyed; i++) {
      writer.write(Buffer.alloc(1024, 1));
      await new Promise((r) => setTimeout(r, 5));
    }
    const error = await closed;
    expect(local.destroyed).toBe(true);
    expect((error as NodeJS.ErrnoException | undefined)?.code).toMatch(/^(EPIPE|ECONNRESET)$/);
  });

  test("DBMESH_AGENT_DIRECT_WRITES=off: a plain TCP socket is written through Writable", async () => {
    const { local, peer } = await pair();
    useDirectWrites(false);
    try {
      const writer = new SocketWriter(local);
      expect(writer.isDirect).toBe(false);
      expect(writer.write(Buffer.from("via Writable"))).toBe(true);
      expect((await readAll(peer, 12)).toString()).toBe("via Writable");
    } finally {
      useDirectWrites(true);
    }
  });

  test("a socket without a plain handle (a TLS or in-memory stream) writes through Writable", async () => {
    const { Duplex } = await import("node:stream");
    const seen: string[] = [];
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        seen.push(chunk.toString());
        cb();
      },
    });
    const writer = new SocketWriter(stream);
    expect(writer.isDirect).toBe(false);
    expect(writer.write(Buffer.from("hello"))).toBe(true);
    expect(seen).toEqual(["hello"]);
  });
});
