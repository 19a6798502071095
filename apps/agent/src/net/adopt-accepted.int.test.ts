import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { adoptAccepted } from "./adopt-accepted";
import { ReadBuffer } from "./read-buffer";

// adoptAccepted moves an accepted socket's handle (a Node internal) to a Socket reading through `onread`. These
// tests pin what the agent relies on, so that a Node upgrade that changes the internals fails here, not in
// production: no byte sent before the move is lost, chunks arrive in one reused buffer, writes and flow
// control work, and the accepted wrapper is gone from the server's count (the agent tracks its client sockets
// itself: ProxyServer.sockets).

/** Where a chunk lives (small read buffers are slices of Node's shared pool). */
const memoryIds = new Map<ArrayBufferLike, number>();
function memoryOf(chunk: Buffer): string {
  if (!memoryIds.has(chunk.buffer)) memoryIds.set(chunk.buffer, memoryIds.size + 1);
  return `${memoryIds.get(chunk.buffer)}@${chunk.byteOffset}`;
}

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
  server = null;
});

function listen(onAdopted: (socket: Socket, reads: ReadBuffer) => void): Promise<number> {
  server = createServer({ pauseOnConnect: true }, (accepted) => {
    const reads = new ReadBuffer();
    const socket = adoptAccepted(accepted, reads, { highWaterMark: 64 * 1024 });
    if (socket === null) throw new Error("adoptAccepted fell back: Node's socket internals changed");
    onAdopted(socket, reads);
  });
  return new Promise((resolve) => server!.listen(0, "127.0.0.1", () => resolve((server!.address() as { port: number }).port)));
}

describe("adoptAccepted", () => {
  test("bytes sent at once are read, through 'data' copies first, then the handler, in one reused buffer", async () => {
    const memories = new Set<string>();
    let readCount = 0;
    let handled = "";
    let viaData = "";
    const port = await listen((socket, reads) => {
      socket.once("data", (d: Buffer) => {
        viaData = d.toString();
        // The login is over: the session takes the chunks from here on.
        reads.handle((chunk) => {
          readCount++;
          memories.add(memoryOf(chunk));
          handled += chunk.toString();
          if (handled.endsWith("!")) socket.end(`got ${handled.length}`);
          return false;
        });
        socket.write("ready");
      });
    });
    const client = connect(port, "127.0.0.1");
    client.write("hello"); // before the server even accepted
    const reply = await new Promise<string>((resolve) => {
      let text = "";
      client.on("data", (d: Buffer) => {
        text += d.toString();
        if (text === "ready") for (let i = 0; i < 50; i++) client.write(`${"x".repeat(1000)}${i === 49 ? "!" : ""}`);
      });
      client.on("end", () => resolve(text));
    });
    expect(viaData).toBe("hello");
    expect(reply).toBe(`readygot ${50 * 1000 + 1}`);
    // The small buffer, then the large one once a read filled it: never one per read.
    expect(memories.size).toBeLessThanOrEqual(2);
    expect(readCount).toBeGreaterThan(memories.size);
  });

  test("a handler that keeps its chunk gets a fresh buffer for the next read", async () => {
    const kept: Buffer[] = [];
    const port = await listen((socket, reads) => {
      reads.handle((chunk) => {
        kept.push(chunk);
        if (Buffer.concat(kept).includes("!")) socket.end(Buffer.concat(kept));
        return true;
      });
    });
    const client = connect(port, "127.0.0.1");
    const sent = ["first;", "second;", "third!"];
    const echoed = await new Promise<string>((resolve) => {
      let text = "";
      client.on("connect", async () => {
        for (const part of sent) {
          client.write(part);
          await new Promise((r) => setTimeout(r, 20));
        }
      });
      client.on("data", (d: Buffer) => (text += d.toString()));
      client.on("end", () => resolve(text));
    });
    expect(echoed).toBe(sent.join(""));
    expect(new Set(kept.map(memoryOf)).size).toBe(kept.length);
  });

  test("pause() stops reading and resume() starts again", async () => {
    let received = 0;
    let adopted: Socket | null = null;
    const port = await listen((socket, reads) => {
      adopted = socket;
      reads.handle((chunk) => {
        received += chunk.length;
        return false;
      });
      socket.pause();
    });
    const client = connect(port, "127.0.0.1");
    await new Promise((r) => client.on("connect", r));
    client.write(Buffer.alloc(10_000, 1));
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toBe(0);
    adopted!.resume();
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toBe(10_000);
    client.destroy();
  });

  test("the old wrapper leaves the server's connection count, so close() never waits for a socket nobody holds", async () => {
    let adopted: Socket | null = null;
    const port = await listen((socket) => {
      adopted = socket;
    });
    const client = connect(port, "127.0.0.1");
    await new Promise((r) => client.on("connect", r));
    await new Promise((r) => setTimeout(r, 50));
    const count = await new Promise<number>((resolve, reject) => server!.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    // The old wrapper was destroyed without its handle (the connection stays open: checked by the write below).
    expect(count).toBe(0);
    const echoed = new Promise<string>((resolve) => client.once("data", (d: Buffer) => resolve(d.toString())));
    adopted!.write("still open");
    expect(await echoed).toBe("still open");
    adopted!.destroy();
    client.destroy();
  });
});
