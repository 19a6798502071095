// What does a socket write cost the agent? Writes 120-byte messages (a small result) over loopback, alternately
// through socket.write() (Node's Writable) and through the agent's SocketWriter (straight to the libuv handle),
// in rounds, in one run, and prints user and kernel CPU per write for each and their ratio. The peer is another
// process (reading with `cat > /dev/null`), so that the CPU measured here is the writer's alone.
//   npm run bench:socket-write
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { SocketWriter } from "../apps/agent/src/net/socket-writer";

const WRITES = Number(process.env.BENCH_WRITES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Writes between two event-loop turns (the agent writes from I/O callbacks, not in a tight loop). */
const PER_TURN = 16;

async function peerSocket(): Promise<{ local: Socket; stop: () => void }> {
  // The reading side runs in a child process: a Node server there pipes what it reads to nowhere.
  const child = spawn(process.execPath, ["-e", `
    const s = require("node:net").createServer((c) => c.on("data", () => {}));
    s.listen(0, "127.0.0.1", () => console.log(s.address().port));`], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
  const local = connect({ host: "127.0.0.1", port });
  await new Promise((resolve, reject) => local.once("connect", resolve).once("error", reject));
  local.setNoDelay(true);
  return { local, stop: () => (local.destroy(), child.kill()) };
}

async function cpuPerWrite(write: (b: Buffer) => void): Promise<{ user: number; system: number }> {
  const buf = Buffer.alloc(120, 7);
  const t0 = process.cpuUsage();
  for (let i = 0; i < WRITES; i++) {
    write(buf);
    if (i % PER_TURN === 0) await new Promise((r) => setImmediate(r));
  }
  const t = process.cpuUsage(t0);
  return { user: t.user / WRITES, system: t.system / WRITES };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main() {
  const { local, stop } = await peerSocket();
  const writer = new SocketWriter(local);
  if (!writer.isDirect) throw new Error("SocketWriter fell back to socket.write(): Node's internals are not as expected");
  // Both paths see the same backpressure: wait for the kernel to take everything before each run.
  const settle = () => new Promise<void>((resolve) => (writer.holdsBytes ? local.once("drain", () => resolve()) : resolve()));
  await cpuPerWrite((b) => writer.write(b)); // warm up both paths
  await cpuPerWrite((b) => local.write(b));
  const results = { writable: [] as { user: number; system: number }[], direct: [] as { user: number; system: number }[] };
  for (let r = 1; r <= ROUNDS; r++) {
    await settle();
    results.writable.push(await cpuPerWrite((b) => local.write(b)));
    await settle();
    results.direct.push(await cpuPerWrite((b) => writer.write(b)));
    const [w, d] = [results.writable.at(-1)!, results.direct.at(-1)!];
    console.log(`[bench] round ${r}: socket.write user ${w.user.toFixed(2)} µs + kernel ${w.system.toFixed(2)} µs; SocketWriter user ${d.user.toFixed(2)} µs + kernel ${d.system.toFixed(2)} µs`);
  }
  stop();
  const out = {
    writes_per_round: WRITES,
    rounds: ROUNDS,
    writable_user_us_per_write: +median(results.writable.map((x) => x.user)).toFixed(3),
    direct_user_us_per_write: +median(results.direct.map((x) => x.user)).toFixed(3),
    writable_total_us_per_write: +median(results.writable.map((x) => x.user + x.system)).toFixed(3),
    direct_total_us_per_write: +median(results.direct.map((x) => x.user + x.system)).toFixed(3),
    direct_vs_writable_user: +median(results.direct.map((d, i) => d.user / results.writable[i]!.user)).toFixed(3),
    direct_vs_writable_total: +median(results.direct.map((d, i) => (d.user + d.system) / (results.writable[i]!.user + results.writable[i]!.system))).toFixed(3),
  };
  console.log(JSON.stringify(out));
}

await main();
