import { EventEmitter } from "node:events";
import pg from "pg";
import type { Logger } from "../logger";
import { MESH_REVISION_CHANNEL } from "../mesh-revision";

/**
 * One LISTEN connection per process: every mesh commit NOTIFYs the new revision, and every
 * long-polling agent request held by this process wakes at once. A slow poll of mesh_state backs
 * it up, so a notification lost while reconnecting delays a change by seconds, never forever.
 */
export class RevisionWatcher extends EventEmitter {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private latest = -1;

  constructor(private readonly opts: { connectionString: string; log: Logger; pollMs?: number }) {
    super();
    this.setMaxListeners(0); // one listener per held request: thousands are expected
  }

  get revision(): number {
    return this.latest;
  }

  async start(): Promise<void> {
    await this.connect();
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs ?? 5000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.client?.end().catch(() => {});
  }

  private publish(revision: number) {
    if (revision > this.latest) {
      this.latest = revision;
      this.emit("revision", revision);
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.connectionString, application_name: "dbmesh-revision-watcher" });
    client.on("notification", (msg) => {
      if (msg.channel === MESH_REVISION_CHANNEL && msg.payload) this.publish(Number(msg.payload));
    });
    client.on("error", (err) => {
      this.opts.log.warn({ err }, "revision watcher lost its connection; reconnecting");
      this.client = null;
      if (!this.stopped) setTimeout(() => void this.connect().catch(() => {}), 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${MESH_REVISION_CHANNEL}`);
    this.client = client;
    await this.poll();
  }

  private async poll(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const res = await client.query<{ revision: string }>("SELECT revision FROM mesh_state WHERE id = 1");
      if (res.rows[0]) this.publish(Number(res.rows[0].revision));
    } catch {
      // the 'error' handler reconnects
    }
  }

  /** Resolves with the first revision above `known`, or null after `ms` or on abort. */
  waitBeyond(known: number, ms: number, signal?: AbortSignal): Promise<number | null> {
    if (this.latest > known) return Promise.resolve(this.latest);
    return new Promise((resolve) => {
      const done = (value: number | null) => {
        clearTimeout(timer);
        this.off("revision", onRevision);
        signal?.removeEventListener("abort", onAbort);
        resolve(value);
      };
      const onRevision = (rev: number) => {
        if (rev > known) done(rev);
      };
      const onAbort = () => done(null);
      const timer = setTimeout(() => done(null), ms);
      this.on("revision", onRevision);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
