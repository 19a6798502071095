// Server-only wiring for apps/web's route handlers: one Prisma client and one Redis client per
// process, the tRPC fetch handler, health, and the audit CSV export.
import { createDb, type Db } from "@dbmesh/db";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { Redis } from "ioredis";
import type { z } from "zod";
import { createContext } from "./context";
import { apiEnv } from "./env";
import { logger } from "./logger";
import { isAllowed, permissions } from "./permissions";
import { appRouter } from "./root";
import { AuditFilter, auditCsvStream } from "./services/audit-log";
import { SqlAuditFilter, sqlAuditCsvStream } from "./services/sql-audit";
import { AgentProtocol, type ConfigAnswer, type ConfigAsk } from "./agent-protocol/handlers";

const globals = globalThis as unknown as { __dbmeshDb?: Db; __dbmeshRedis?: Redis; __dbmeshAgentProtocol?: AgentProtocol };

/** One client per process, kept on globalThis so Next's dev reloads do not leak pools. */
export function getDb(): Db {
  globals.__dbmeshDb ??= createDb(apiEnv().DATABASE_URL);
  return globals.__dbmeshDb;
}

function getRedis(): Redis {
  globals.__dbmeshRedis ??= new Redis(apiEnv().REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
  });
  globals.__dbmeshRedis.on("error", () => {}); // reported by /api/health, not as a crash
  return globals.__dbmeshRedis;
}

export function handleTrpcRequest(req: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: ({ req, resHeaders }) => createContext({ db: getDb(), env: apiEnv(), log: logger, req, resHeaders }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") logger.error({ err: error, path }, "tRPC procedure failed");
    },
  });
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timeout")), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** 200 {"status":"ok","db":"ok","redis":"ok"}, or 503 naming what is down. */
export async function handleHealth(): Promise<Response> {
  const check = async (fn: () => Promise<unknown>) => {
    try {
      await withTimeout(fn(), 2000);
      return "ok";
    } catch (err) {
      return `down: ${(err as Error).message}`;
    }
  };
  const [db, redis] = await Promise.all([
    check(() => getDb().$queryRaw`SELECT 1`),
    check(async () => {
      const r = getRedis();
      if (r.status === "wait" || r.status === "end") await r.connect().catch(() => {});
      return r.ping();
    }),
  ]);
  const ok = db === "ok" && redis === "ok";
  return Response.json({ status: ok ? "ok" : "degraded", db, redis }, { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } });
}

/**
 * A CSV download of a filtered log: the caller's session or token, the permission of the matching
 * list procedure, the query string parsed with the list's own filter schema, then a stream.
 */
async function csvExport<F>(
  req: Request,
  opts: { procedure: string; what: string; filter: z.ZodType<F>; stream: (db: Db, filter: F) => ReadableStream<Uint8Array>; filename: string },
): Promise<Response> {
  const ctx = await createContext({ db: getDb(), env: apiEnv(), log: logger, req });
  if (!ctx.actor) return Response.json({ error: "sign in first" }, { status: 401 });
  if (!ctx.actor.mfaSatisfied || !isAllowed(permissions[opts.procedure], ctx.actor.role)) {
    return Response.json({ error: `your role (${ctx.actor.role}) may not read the ${opts.what}` }, { status: 403 });
  }
  const params = Object.fromEntries(new URL(req.url).searchParams);
  for (const k of Object.keys(params)) if (params[k] === "") delete params[k];
  const filter = opts.filter.safeParse(params);
  if (!filter.success) return Response.json({ error: filter.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") }, { status: 400 });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return new Response(opts.stream(ctx.db, filter.data), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${opts.filename}-${stamp}.csv"`,
      "cache-control": "no-store",
    },
  });
}

/** GET /api/audit/export?actor=&action=&objectType=&object=&from=&to= */
export function handleAuditCsv(req: Request): Promise<Response> {
  return csvExport(req, { procedure: "audit.list", what: "audit log", filter: AuditFilter, stream: auditCsvStream, filename: "dbmesh-audit" });
}

function agentProtocol(): AgentProtocol {
  globals.__dbmeshAgentProtocol ??= new AgentProtocol({ db: getDb(), env: apiEnv(), log: logger });
  return globals.__dbmeshAgentProtocol;
}

/** GET /api/agent/v1/config — long-poll (apps/agent/PROTOCOL.md). */
export function handleAgentConfig(req: Request): Promise<Response> {
  return agentProtocol().config(req);
}

/** GET /api/agent/v1/config without fetch objects: apps/web/server.ts's node:http path. */
export function answerAgentConfig(ask: ConfigAsk): Promise<ConfigAnswer> {
  return agentProtocol().answerConfig(ask);
}

/** POST /api/agent/v1/heartbeat */
export function handleAgentHeartbeat(req: Request): Promise<Response> {
  const fwd = req.headers.get("x-forwarded-for");
  return agentProtocol().heartbeat(req, fwd ? fwd.split(",").pop()!.trim() : null);
}

/** POST /api/agent/v1/audit */
export function handleAgentAudit(req: Request): Promise<Response> {
  return agentProtocol().audit(req);
}

/** GET /api/sql-audit/export?from=&to=&virtualDatabase=&credential=&decision=&operation=&table=&fingerprint=&text= */
export function handleSqlAuditCsv(req: Request): Promise<Response> {
  return csvExport(req, { procedure: "sqlAudit.list", what: "SQL audit log", filter: SqlAuditFilter, stream: sqlAuditCsvStream, filename: "dbmesh-sql-audit" });
}
