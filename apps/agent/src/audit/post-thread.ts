import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { AgentApiClientOptions } from "../config/api-client";
import type { AuditPostResult } from "./sender";

// POST /api/agent/v1/audit from a worker thread. Why: the request's sockets are node:http's, of other shapes than
// the proxy's, and Node's one read callback for every stream (onStreamRead) then looked their symbol-keyed
// fields up megamorphically for every client and server read: ~1.2 µs per pgbench transaction of the governed
// agent's main thread in perf, which a governed agent without audit did not pay. A thread has its own V8 isolate
// (and its own inline caches), and the request's CPU (HTTP, the kernel's loopback send) leaves the thread that
// serves queries. The body is not copied when it lies in a SharedArrayBuffer (the sender's scratch).

export type PostThreadMessage =
  | { kind: "post"; id: number; body: Uint8Array | string }
  | { kind: "abort"; id: number }
  | { kind: "close" };

interface Pending {
  resolve: (r: AuditPostResult) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/** The worker's module, run through tsx when the agent runs from its TypeScript sources (a worker does not inherit the loader). */
function workerSource(): { source: string | URL; eval: boolean } {
  const url = new URL(`./post-thread-worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);
  // The URL itself, not its pathname: a path with spaces or other escaped characters stays right.
  if (!url.pathname.endsWith(".ts")) return { source: url, eval: false };
  return { source: `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`, eval: true };
}

export class AuditPostThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly client: AgentApiClientOptions,
    private readonly log: Logger,
  ) {}

  /** Posts `body` from the thread (started on first use, and again after it died). Never rejects. */
  post(body: Buffer | string, signal: AbortSignal): Promise<AuditPostResult> {
    if (this.closed) return Promise.resolve({ ok: false, status: null, message: "the audit post thread is closed" });
    if (signal.aborted) return Promise.resolve({ ok: false, status: null, message: "aborted" });
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onAbort = () => worker.postMessage({ kind: "abort", id } satisfies PostThreadMessage);
      signal.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, { resolve, signal, onAbort });
      worker.postMessage({ kind: "post", id, body } satisfies PostThreadMessage);
    });
  }

  /** Stops the thread; a post in flight resolves as failed (its segment stays spooled). */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker === null) return;
    worker.postMessage({ kind: "close" } satisfies PostThreadMessage);
    // The thread ends once its port closes; terminate() if a request hangs on.
    const ended = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    const timer = setTimeout(() => void worker.terminate(), 2_000);
    await ended;
    clearTimeout(timer);
    this.failPending("the audit post thread stopped");
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    const { source, eval: isEval } = workerSource();
    const worker = new Worker(source, { eval: isEval, workerData: this.client, name: "dbmesh-audit-post" });
    // Shipping must not keep the process alive on its own.
    worker.unref();
    worker.on("message", (m: { id: number; result: AuditPostResult }) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      p.signal.removeEventListener("abort", p.onAbort);
      p.resolve(m.result);
    });
    worker.on("error", (err) => this.log.error({ err }, "the SQL audit post thread failed: starting another for the next batch"));
    worker.once("exit", () => {
      if (this.worker === worker) this.worker = null;
      this.failPending("the audit post thread exited");
    });
    this.worker = worker;
    return worker;
  }

  private failPending(message: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.signal.removeEventListener("abort", p.onAbort);
      p.resolve({ ok: false, status: null, message });
    }
  }
}
