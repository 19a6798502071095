import { randomBytes } from "node:crypto";
import { createRedis } from "@dbmesh/queue";
import { createTestDatabase, type TestDatabase } from "@dbmesh/db/testing";
import { QueueEvents } from "bullmq";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkers, type RunningWorkers } from "../worker";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const HOUR = 60 * 60 * 1000;

describe("prune-login-attempts on real Postgres and Redis", () => {
  const prefixBase = `dbmesh-test-${randomBytes(4).toString("hex")}`;
  let t: TestDatabase;
  let running: RunningWorkers;
  let events: QueueEvents;

  beforeAll(async () => {
    t = await createTestDatabase();
    const ago = (ms: number) => new Date(Date.now() - ms);
    await t.db.loginAttempt.createMany({
      data: [
        { email: "old1@example.com", ip: "10.0.0.1", success: false, createdAt: ago(48 * HOUR) },
        { email: "old2@example.com", ip: "10.0.0.2", success: true, createdAt: ago(25 * HOUR) },
        { email: "old3@example.com", ip: "10.0.0.3", success: false, createdAt: ago(30 * 24 * HOUR) },
        { email: "new1@example.com", ip: "10.0.0.4", success: false, createdAt: ago(23 * HOUR) },
        { email: "new2@example.com", ip: "10.0.0.5", success: true, createdAt: ago(5 * 60 * 1000) },
      ],
    });
    running = await startWorkers({ db: t.db, redisUrl, prefixBase, log: pino({ level: "silent" }) });
    events = new QueueEvents("maintenance", { connection: createRedis(redisUrl, { forWorker: true }), prefix: `{${prefixBase}}` });
    await events.waitUntilReady();
  });

  afterAll(async () => {
    await events?.close();
    await running?.close();
    await t?.drop();
    // Leave nothing of this run in Redis.
    const redis = createRedis(redisUrl, { forWorker: true });
    const keys = await redis.keys(`{${prefixBase}}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it("registers the hourly job scheduler", async () => {
    const queue = running.queues.get("maintenance");
    const scheduler = await queue?.getJobScheduler("prune-login-attempts-hourly");
    expect(scheduler).toMatchObject({ name: "prune-login-attempts", every: HOUR });
    // The reveal-window purge of self-service passwords (tested end to end in packages/api's self-service test).
    expect(await queue?.getJobScheduler("purge-unrevealed-passwords-hourly")).toMatchObject({ name: "purge-unrevealed-passwords", every: HOUR });
  });

  it("deletes attempts older than a day and keeps the rest", async () => {
    const queue = running.queues.get("maintenance");
    if (!queue) throw new Error("no maintenance queue");
    const job = await queue.add("prune-login-attempts", { maxAgeHours: 24 });
    await job.waitUntilFinished(events, 20_000);

    const left = await t.db.loginAttempt.findMany({ orderBy: { email: "asc" } });
    expect(left.map((r) => r.email)).toEqual(["new1@example.com", "new2@example.com"]);

    // A second run (a retry, the next hour) finds nothing more to do.
    const again = await queue.add("prune-login-attempts", {});
    expect(await again.waitUntilFinished(events, 20_000)).toEqual({ deleted: 0 });
    expect(await t.db.loginAttempt.count()).toBe(2);
  });

  it("fails a job with an invalid payload for good, without retrying", async () => {
    const queue = running.queues.get("maintenance");
    if (!queue) throw new Error("no maintenance queue");
    const job = await queue.add("prune-login-attempts", { maxAgeHours: 0 }, { attempts: 3 });
    await expect(job.waitUntilFinished(events, 20_000)).rejects.toThrow(/invalid payload for prune-login-attempts/);
    const failed = await queue.getJob(job.id ?? "");
    expect(failed?.attemptsMade).toBe(1);
    expect(await t.db.loginAttempt.count()).toBe(2);
  });
  it("prunes agent config fetches older than a day", async () => {
    const queue = running.queues.get("maintenance");
    if (!queue) throw new Error("no maintenance queue");
    await t.db.agent.create({ data: { id: "agt_prune", name: "prune-test", tokenHash: "h", tokenPrefix: "p" } });
    await t.db.agentConfigFetch.createMany({
      data: [
        { agentId: "agt_prune", status: 200, revision: 1n, waitedMs: 0, at: new Date(Date.now() - 30 * HOUR) },
        { agentId: "agt_prune", status: 304, revision: 1n, waitedMs: 30000, at: new Date(Date.now() - HOUR) },
      ],
    });
    expect(await queue.getJobScheduler("prune-agent-fetches-hourly")).toMatchObject({ name: "prune-agent-fetches", every: HOUR });
    const job = await queue.add("prune-agent-fetches", { maxAgeHours: 24 });
    await job.waitUntilFinished(events, 20_000);
    expect((await t.db.agentConfigFetch.findMany()).map((f) => f.status)).toEqual([304]);
  });
  it("keeps sql_audit_event's daily partitions: creates ahead, drops past retention, audits both", async () => {
    const queue = running.queues.get("maintenance");
    if (!queue) throw new Error("no maintenance queue");
    // A partition from 40 days ago that should go, with a row in it.
    const old = new Date(Date.now() - 40 * 24 * HOUR);
    const day = old.toISOString().slice(0, 10).replace(/-/g, "");
    await t.db.$executeRawUnsafe(
      `CREATE TABLE sql_audit_event_p${day} PARTITION OF sql_audit_event FOR VALUES FROM ('${old.toISOString().slice(0, 10)}T00:00:00Z') TO ('${old.toISOString().slice(0, 10)}T23:59:59.999Z')`,
    );
    await t.db.$executeRawUnsafe(
      `INSERT INTO sql_audit_event (occurred_at, event_id, agent_id, agent_name, virtual_database, credential, statement, fingerprint, kind, decision)
       VALUES ('${old.toISOString()}', 'evt-old-1', 'agt', 'a', 'demo', 'app', 'SELECT 1', 'f', 'select', 'allowed')`,
    );
    expect(await queue.getJobScheduler("maintain-sql-audit-partitions-hourly")).toMatchObject({ every: HOUR });
    const job = await queue.add("maintain-sql-audit-partitions", { daysAhead: 10, retentionDays: 30 });
    await job.waitUntilFinished(events, 20_000);
    const partitions = await t.db.$queryRaw<{ relname: string }[]>`
      SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'sql_audit_event'::regclass`;
    const names = partitions.map((p) => p.relname);
    expect(names).not.toContain(`sql_audit_event_p${day}`);
    const tenDaysAhead = new Date(Date.now() + 10 * 24 * HOUR).toISOString().slice(0, 10).replace(/-/g, "");
    expect(names).toContain(`sql_audit_event_p${tenDaysAhead}`);
    expect(await t.db.sqlAuditEvent.count({ where: { eventId: "evt-old-1" } })).toBe(0);
    const audited = await t.db.auditEvent.findMany({ where: { objectType: "sql_audit_partition" } });
    expect(audited.map((a) => a.action)).toEqual(expect.arrayContaining(["sql_audit.partition_drop", "sql_audit.partition_create"]));
  });
});
