import type { Db } from "@dbmesh/db";
import { sha256Hex } from "../crypto/token";
import { currentMeshRevision } from "../mesh-revision";
import type { ApiEnv } from "../env";
import type { Logger } from "../logger";
import { AGENT_TOKEN_PREFIX } from "../services/agents";
import { CompiledConfigCache } from "./compiled-config";
import { Heartbeat } from "./heartbeat";
import { parseSqlAuditBatch } from "./sql-audit-batch";
import { RevisionWatcher } from "./revision-watcher";

const DEFAULT_WAIT_S = 30;
const MAX_WAIT_S = 60;
/** A verified agent token is trusted this long without asking the database again; a revoke takes at most this long. */
const AUTH_CACHE_MS = 5_000;
/** Fetch records are written in batches: one INSERT per second, not one per long-poll answer. */
const FETCH_FLUSH_MS = 1_000;

type AgentRow = { id: string; name: string };
type TokenRow = AgentRow & { revokedAt: Date | null };
type TokenWaiter = { resolve: (row: TokenRow | null) => void; reject: (err: unknown) => void };
/** Token hashes looked up in one query at most (each is a bound parameter). */
const TOKEN_LOOKUP_CHUNK = 2_000;
type FetchRow = { agentId: string; status: number; revision: bigint; knownRevision: bigint | null; waitedMs: number; at: Date };

/** A config long-poll as any transport carries it: the fetch adapter (config) and apps/web/server.ts's node:http one. */
export interface ConfigAsk {
  authorization: string | null;
  ifNoneMatch: string | null;
  /** The `wait` query parameter, in seconds. */
  wait: string | null;
  /** Aborts when the agent hangs up: a held poll stops waiting. */
  signal: AbortSignal;
}

/** What a config long-poll is answered with. */
export interface ConfigAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

const NO_STORE_JSON = { "content-type": "application/json", "cache-control": "no-store" };

function jsonAnswer(body: unknown, status: number): ConfigAnswer {
  return { status, headers: NO_STORE_JSON, body: JSON.stringify(body) };
}

function json(body: unknown, status: number): Response {
  const answer = jsonAnswer(body, status);
  return new Response(answer.body, { status, headers: answer.headers });
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
  // Thousands of agents re-poll right after every change: without these two, each answer costs
  // two database round trips and the pool becomes the bottleneck of propagation.
  private readonly authCache = new Map<string, { agent: AgentRow; until: number }>();
  private pendingFetches: FetchRow[] = [];
  /**
   * Token hashes waiting for the database, looked up together once per event-loop turn: after a mesh change
   * every agent re-polls at once, their cached verifications expire together, and a query per agent (through
   * Prisma) took bench:config's p99 propagation from ~1.0 s to ~1.5 s on a slow box.
   */
  private tokenLookups: Map<string, TokenWaiter[]> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;

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
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flushFetches();
    await this.watcher.stop();
  }

  private async authenticate(authorization: string | null, opts: { fresh?: boolean } = {}): Promise<AgentRow | null> {
    const auth = authorization ?? "";
    const token = auth.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : "";
    if (!token.startsWith(`${AGENT_TOKEN_PREFIX}_`)) return null;
    const tokenHash = sha256Hex(token);
    const cached = this.authCache.get(tokenHash);
    if (!opts.fresh && cached && cached.until > Date.now()) return cached.agent;
    const row = await this.lookUpToken(tokenHash);
    if (!row || row.revokedAt) {
      this.authCache.delete(tokenHash);
      return null;
    }
    const agent = { id: row.id, name: row.name };
    if (this.authCache.size > 100_000) this.authCache.clear();
    this.authCache.set(tokenHash, { agent, until: Date.now() + AUTH_CACHE_MS });
    return agent;
  }

  /** The agent a token hash belongs to, looked up with every other hash asked for in this event-loop turn. */
  private lookUpToken(tokenHash: string): Promise<TokenRow | null> {
    let batch = this.tokenLookups;
    if (batch === null) {
      const fresh = new Map<string, TokenWaiter[]>();
      batch = fresh;
      this.tokenLookups = fresh;
      setImmediate(() => void this.lookUpTokens(fresh));
    }
    const waiters = batch.get(tokenHash) ?? [];
    batch.set(tokenHash, waiters);
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  private async lookUpTokens(batch: Map<string, TokenWaiter[]>): Promise<void> {
    if (this.tokenLookups === batch) this.tokenLookups = null;
    const hashes = [...batch.keys()];
    for (let i = 0; i < hashes.length; i += TOKEN_LOOKUP_CHUNK) {
      const chunk = hashes.slice(i, i + TOKEN_LOOKUP_CHUNK);
      try {
        const rows = await this.deps.db.agent.findMany({ where: { tokenHash: { in: chunk } }, select: { id: true, name: true, revokedAt: true, tokenHash: true } });
        const byHash = new Map(rows.map(({ tokenHash, ...row }) => [tokenHash, row]));
        for (const hash of chunk) for (const w of batch.get(hash) ?? []) w.resolve(byHash.get(hash) ?? null);
      } catch (err) {
        for (const hash of chunk) for (const w of batch.get(hash) ?? []) w.reject(err);
      }
    }
  }

  /** GET /api/agent/v1/config over fetch (Next's route handler; the tests). */
  async config(req: Request): Promise<Response> {
    const answer = await this.answerConfig({
      authorization: req.headers.get("authorization"),
      ifNoneMatch: req.headers.get("if-none-match"),
      wait: new URL(req.url).searchParams.get("wait"),
      signal: req.signal,
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  }

  /**
   * The config long-poll, whatever carries it. apps/web/server.ts answers it from node:http without a fetch
   * Request and Response: after a mesh change every agent re-polls at once, and building those two objects
   * per poll was about a tenth of the console's CPU in bench:config.
   */
  async answerConfig(ask: ConfigAsk): Promise<ConfigAnswer> {
    const agent = await this.authenticate(ask.authorization);
    if (!agent) return jsonAnswer({ error: "agent token is missing, unknown or revoked: register the agent under Fleet → Agents" }, 401);
    await this.ensureStarted();
    const started = Date.now();
    const known = parseEtag(ask.ifNoneMatch);
    const waitParam = Number(ask.wait ?? DEFAULT_WAIT_S);
    const waitS = Number.isFinite(waitParam) ? Math.min(Math.max(waitParam, 0), MAX_WAIT_S) : DEFAULT_WAIT_S;
    // Up to 10% jitter so that thousands of agents do not come back in step.
    const waitMs = Math.round(waitS * 1000 * (1 + Math.random() * 0.1));

    // The watcher learns a commit from its NOTIFY a moment later. An agent with a revision is held
    // until then anyway; one without (first start) must not get the config from just before a
    // change it may itself have caused, so it reads the revision from the database.
    let current = this.watcher.revision;
    if (known === null || current < 0) current = Math.max(current, await currentMeshRevision(this.deps.db));
    if (known !== null && known >= current) {
      const next = await this.watcher.waitBeyond(known, waitMs, ask.signal);
      if (next === null) {
        this.recordFetch(agent.id, 304, current, known, Date.now() - started);
        return { status: 304, headers: { etag: `"${current}"`, "cache-control": "no-store" }, body: null };
      }
      current = next;
    }
    const compiled = await this.cache.get(current);
    this.recordFetch(agent.id, 200, compiled.revision, known, Date.now() - started);
    return { status: 200, headers: { ...NO_STORE_JSON, etag: `"${compiled.revision}"` }, body: compiled.body };
  }

  async heartbeat(req: Request, remoteAddress: string | null): Promise<Response> {
    const agent = await this.authenticate(req.headers.get("authorization"), { fresh: true });
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
        alarms: hb.alarms.map((a) => ({ ...a, since: a.since.toISOString() })),
      },
    });
    await this.ensureStarted().catch(() => {});
    const state = await this.deps.db.meshState.findUnique({ where: { id: 1 } });
    return json({ currentRevision: Number(state?.revision ?? 0) }, 200);
  }

  /**
   * Stores a batch of SQL audit events once each (the agent retries until acknowledged, so a
   * batch may arrive twice); answers how many were new.
   */
  async audit(req: Request): Promise<Response> {
    const agent = await this.authenticate(req.headers.get("authorization"));
    if (!agent) return json({ error: "agent token is missing, unknown or revoked" }, 401);
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return json({ error: "the body is not JSON" }, 400);
    }
    const parsed = parseSqlAuditBatch(body);
    if (!parsed.ok) return json({ error: parsed.error }, 400);
    const events = parsed.events;
    const { count } = await this.deps.db.sqlAuditEvent.createMany({
      data: events.map((e) => ({
        eventId: e.id,
        occurredAt: e.occurredAt,
        agentId: agent.id,
        agentName: agent.name,
        virtualDatabase: e.virtualDatabase,
        credential: e.credential,
        clientAddress: e.clientAddress,
        applicationName: e.applicationName,
        statement: e.statement,
        fingerprint: e.fingerprint,
        kind: e.kind,
        tables: e.tables,
        decision: e.decision,
        rule: e.rule,
        backend: e.backend,
        durationUs: e.durationUs === null ? null : BigInt(e.durationUs),
        rowCount: e.rows === null ? null : BigInt(e.rows),
        sqlstate: e.sqlstate,
      })),
      skipDuplicates: true,
    });
    return json({ accepted: count, duplicates: events.length - count }, 200);
  }

  /** Queued after the answer is decided and written in batches: a slow insert must not delay configs. */
  private recordFetch(agentId: string, status: number, revision: number, known: number | null, waitedMs: number) {
    this.pendingFetches.push({ agentId, status, revision: BigInt(revision), knownRevision: known === null ? null : BigInt(known), waitedMs, at: new Date() });
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      void this.flushFetches();
    }, FETCH_FLUSH_MS);
  }

  /** Writes the queued fetch records; tests call it to see them at once. */
  async flushFetches(): Promise<void> {
    const batch = this.pendingFetches;
    this.pendingFetches = [];
    if (batch.length === 0) return;
    await this.deps.db.agentConfigFetch
      .createMany({ data: batch })
      .catch((err: unknown) => this.deps.log.warn({ err, rows: batch.length }, "could not record agent config fetches"));
  }
}
