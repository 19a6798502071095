import type { Db } from "@dbmesh/db";
import { sha256Hex } from "../crypto/token";
import type { ApiEnv } from "../env";
import type { Logger } from "../logger";
import { AGENT_TOKEN_PREFIX } from "../services/agents";
import { CompiledConfigCache } from "./compiled-config";
import { Heartbeat } from "./heartbeat";
import { RevisionWatcher } from "./revision-watcher";

const DEFAULT_WAIT_S = 30;
const MAX_WAIT_S = 60;

function json(body: unknown, status: number, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store", ...headers } });
}

/** `"42"`, `W/"42"` or `42` → 42; anything else → null (treated as "has nothing"). */
export function parseEtag(header: string | null): number | null {
  if (!header) return null;
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  return m ? Number(m[1]) : null;
}

/** The agent protocol v1 (apps/agent/PROTOCOL.md) over fetch Requests. */
export class AgentProtocol {
  readonly watcher: RevisionWatcher;
  private readonly cache: CompiledConfigCache;
  private started: Promise<void> | null = null;

  constructor(private readonly deps: { db: Db; env: ApiEnv; log: Logger }) {
    this.watcher = new RevisionWatcher({ connectionString: deps.env.DATABASE_URL, log: deps.log });
    this.cache = new CompiledConfigCache(deps.db, deps.env.DBMESH_SECRET_KEY);
  }

  private ensureStarted(): Promise<void> {
    this.started ??= this.watcher.start().catch((err) => {
      this.started = null;
      throw err;
    });
    return this.started;
  }

  async stop(): Promise<void> {
    await this.watcher.stop();
  }

  private async authenticate(req: Request) {
    const auth = req.headers.get("authorization") ?? "";
    const token = auth.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : "";
    if (!token.startsWith(`${AGENT_TOKEN_PREFIX}_`)) return null;
    const agent = await this.deps.db.agent.findUnique({ where: { tokenHash: sha256Hex(token) } });
    return agent && !agent.revokedAt ? agent : null;
  }

  async config(req: Request): Promise<Response> {
    const agent = await this.authenticate(req);
    if (!agent) return json({ error: "agent token is missing, unknown or revoked: create one under Settings → Agents" }, 401);
    await this.ensureStarted();
    const started = Date.now();
    const known = parseEtag(req.headers.get("if-none-match"));
    const waitParam = Number(new URL(req.url).searchParams.get("wait") ?? DEFAULT_WAIT_S);
    const waitS = Number.isFinite(waitParam) ? Math.min(Math.max(waitParam, 0), MAX_WAIT_S) : DEFAULT_WAIT_S;
    // Up to 10% jitter so that thousands of agents do not come back in step.
    const waitMs = Math.round(waitS * 1000 * (1 + Math.random() * 0.1));

    let current = this.watcher.revision;
    if (current < 0) current = (await this.cache.get(0)).revision;
    if (known !== null && known >= current) {
      const next = await this.watcher.waitBeyond(known, waitMs, req.signal);
      if (next === null) {
        this.recordFetch(agent.id, 304, current, known, Date.now() - started);
        return new Response(null, { status: 304, headers: { etag: `"${current}"`, "cache-control": "no-store" } });
      }
      current = next;
    }
    const compiled = await this.cache.get(current);
    this.recordFetch(agent.id, 200, compiled.revision, known, Date.now() - started);
    return new Response(compiled.body, {
      status: 200,
      headers: { "content-type": "application/json", etag: `"${compiled.revision}"`, "cache-control": "no-store" },
    });
  }

  async heartbeat(req: Request, remoteAddress: string | null): Promise<Response> {
    const agent = await this.authenticate(req);
    if (!agent) return json({ error: "agent token is missing, unknown or revoked" }, 401);
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return json({ error: "the body is not JSON" }, 400);
    }
    const parsed = Heartbeat.safeParse(body);
    if (!parsed.success) {
      return json({ error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") }, 400);
    }
    const hb = parsed.data;
    await this.deps.db.agent.update({
      where: { id: agent.id },
      data: {
        version: hb.version,
        address: hb.address,
        remoteAddress,
        startedAt: hb.startedAt,
        lastHeartbeatAt: new Date(),
        appliedRevision: hb.appliedRevision === null ? null : BigInt(hb.appliedRevision),
        backends: hb.backends,
        counters: hb.counters,
      },
    });
    await this.ensureStarted().catch(() => {});
    const state = await this.deps.db.meshState.findUnique({ where: { id: 1 } });
    return json({ currentRevision: Number(state?.revision ?? 0) }, 200);
  }

  /** Written after the answer is decided and never awaited: a slow insert must not delay configs. */
  private recordFetch(agentId: string, status: number, revision: number, known: number | null, waitedMs: number) {
    this.deps.db.agentConfigFetch
      .create({ data: { agentId, status, revision: BigInt(revision), knownRevision: known === null ? null : BigInt(known), waitedMs } })
      .catch((err: unknown) => this.deps.log.warn({ err }, "could not record an agent config fetch"));
  }
}
