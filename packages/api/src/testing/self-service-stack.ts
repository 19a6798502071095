import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QUEUE_NAMES, queuePrefix } from "@dbmesh/queue";
import { Queue } from "bullmq";
import type pg from "pg";
import { AgentProtocol } from "../agent-protocol/handlers";
import { logger } from "../logger";
import { closeProvisionQueues } from "../services/self-service/enqueue";
import type { Caller, Harness } from "./harness";
import { connectThroughAgent, freePort, serveAgentProtocol, startAgent, startWorker, waitUntil, type Proc } from "./self-service";

// The real components a self-service integration test runs against, for one run's queue prefix: the agent
// protocol served from the test's control database, the real agent process long-polling it, and the real
// worker process (which a test may stop, kill and start again). stop() leaves nothing behind in Redis.

type Request = Awaited<ReturnType<Caller["databaseRequest"]["get"]>>;

export class SelfServiceStack {
  private constructor(
    private readonly h: Harness,
    private readonly prefix: string,
    readonly agentPort: number,
    private readonly agent: ReturnType<typeof startAgent>,
    private readonly api: Awaited<ReturnType<typeof serveAgentProtocol>>,
    private readonly protocol: AgentProtocol,
    /** Final backups of decommissioned databases land here (removed by stop()). */
    readonly backupRoot: string,
    public worker: Proc,
  ) {}

  /** `agentToken`: an agent created in the console (dba.agent.create) for this test. */
  static async start(h: Harness, prefix: string, agentToken: string): Promise<SelfServiceStack> {
    const protocol = new AgentProtocol({ db: h.tdb.db, env: h.env, log: logger });
    const api = await serveAgentProtocol(protocol);
    const agentPort = await freePort();
    const agent = startAgent({ apiUrl: api.url, token: agentToken, port: agentPort });
    const backupRoot = mkdtempSync(join(tmpdir(), `${prefix}-backups-`));
    const stack = new SelfServiceStack(h, prefix, agentPort, agent, api, protocol, backupRoot, null as unknown as Proc);
    stack.worker = startWorker(stack.workerEnv());
    return stack;
  }

  /** The environment of this stack's worker process, plus `extra` (e.g. DBMESH_WORKER_LOCK_MS for a crash test). */
  workerEnv(extra: Record<string, string> = {}) {
    const { h } = this;
    return { DATABASE_URL: h.tdb.url, REDIS_URL: h.env.REDIS_URL, DBMESH_QUEUE_PREFIX: this.prefix, DBMESH_SECRET_KEY: h.env.DBMESH_SECRET_KEY, DBMESH_BACKUP_ROOT: this.backupRoot, ...extra };
  }

  /** Waits for a request to reach `status`; a FAILED request (or a timeout) throws with the worker's output. */
  async waitForStatus(caller: Caller, id: string, status: string, timeoutMs = 60_000): Promise<Request> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await caller.databaseRequest.get({ id });
      if (r.status === status) return r;
      if (r.status === "FAILED" && status !== "FAILED") throw new Error(`request ${id} failed: ${r.lastError}\nworker: ${this.worker.output()}`);
      if (Date.now() > deadline) throw new Error(`request ${id} is ${r.status}, not ${status}, after ${timeoutMs} ms\nworker: ${this.worker.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Connects through the agent once it has the config that lets this credential in. */
  connectWhenReady(user: string, password: string, database: string): Promise<pg.Client> {
    return waitUntil(() => connectThroughAgent(this.agentPort, user, password, database), 15_000, `${user} to connect through the agent`);
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    rmSync(this.backupRoot, { recursive: true, force: true });
    await this.agent.stop();
    this.agent.cleanup();
    await this.api.close();
    await this.protocol.stop();
    await closeProvisionQueues();
    // The worker made every queue under this run's prefix (maintenance schedulers too): remove them all.
    for (const name of QUEUE_NAMES) {
      const q = new Queue(name, { connection: { url: this.h.env.REDIS_URL }, prefix: queuePrefix(this.prefix) });
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
    }
  }
}
