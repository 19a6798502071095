import { parentPort, workerData } from "node:worker_threads";
import { AgentApiClient, type AgentApiClientOptions } from "../config/api-client";
import type { PostThreadMessage } from "./post-thread";

// The audit post thread's side (see post-thread.ts): POST /api/agent/v1/audit for the main thread, one request
// per message, answering each with its result. postAudit never throws: every outcome is a value.

const port = parentPort;
if (port === null) throw new Error("post-thread-worker.ts runs as a worker thread");
const client = new AgentApiClient(workerData as AgentApiClientOptions);
const inFlight = new Map<number, AbortController>();

port.on("message", (m: PostThreadMessage) => {
  if (m.kind === "abort") {
    inFlight.get(m.id)?.abort();
    return;
  }
  if (m.kind === "close") {
    for (const a of inFlight.values()) a.abort();
    client.close();
    port.close();
    return;
  }
  const aborter = new AbortController();
  inFlight.set(m.id, aborter);
  // A view of the main thread's bytes (shared memory when its buffer is a SharedArrayBuffer): nothing is copied.
  const body = typeof m.body === "string" ? m.body : Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
  void client.postAudit(body, aborter.signal).then((result) => {
    inFlight.delete(m.id);
    port.postMessage({ id: m.id, result });
  });
});
