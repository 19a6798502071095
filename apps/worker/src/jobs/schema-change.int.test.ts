import { describeSchema } from "@dbmesh/api/schema-change";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkers, type RunningWorkers } from "../worker";
import { createSchemaFixture, fingerprintTarget, redisUrl, waitFor, withTarget, type SchemaFixture } from "../testing/schema-fixture";

// The schema pipeline end to end on real Postgres and Redis: the API enqueues, this process's
// BullMQ workers run the checks and stages against two real target databases (dev, staging).

const SEED = `
  CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, price numeric NOT NULL DEFAULT 0);
  INSERT INTO items (name, price) SELECT 'item ' || g, g FROM generate_series(1, 50) g;
`;

let f: SchemaFixture;
let running: RunningWorkers;

beforeAll(async () => {
  f = await createSchemaFixture(SEED);
  running = await startWorkers({ db: f.h.tdb.db, redisUrl, prefixBase: f.prefixBase, log: pino({ level: "silent" }), secretKey: f.h.env.DBMESH_SECRET_KEY, concurrency: 1 });
}, 60_000);

afterAll(async () => {
  await running?.close();
  await f?.close();
}, 60_000);

async function checked(id: string) {
  return waitFor("checks", async () => {
    const cr = await f.admin.changeRequest.get({ id });
    return cr.checks.status === "DONE" || cr.checks.status === "FAILED" ? cr : null;
  });
}

async function stageDone(id: string, stageId: string) {
  return waitFor(`stage ${stageId}`, async () => {
    const cr = await f.admin.changeRequest.get({ id });
    const s = cr.stages.find((x) => x.id === stageId)!;
    return s.status === "SUCCEEDED" || s.status === "FAILED" ? { cr, stage: s } : null;
  }, 60_000);
}

describe("checks", () => {
  it("dry-runs on every target without changing it, and reports a failing statement with its position", async () => {
    const before = await Promise.all([fingerprintTarget(f.devDb), fingerprintTarget(f.stagingDb)]);
    const sql = [
      "ALTER TABLE items ADD COLUMN note text;",
      "UPDATE items SET note = 'cheap' WHERE price < 10;",
      "INSERT INTO items (name) VALUES ('new one');",
      "DELETE FROM items WHERE id > 40;",
      "ALTER TABLE items ADD COLUMN sku text REFERENCES no_such_table (id);",
    ].join("\n");
    const { id } = await f.developer.changeRequest.create({ title: "Notes on items", target: { kind: "virtualDatabase", virtualDatabase: "shop" }, sql });
    const cr = await checked(id);
    expect(cr.checks.status).toBe("DONE");
    expect(cr.checks.targets.map((t) => `${t.environmentName}/${t.endpointName}`)).toEqual(["dev/shop-dev", "staging/shop-staging"]);
    for (const t of cr.checks.targets) {
      const dry = t.dryRun;
      expect(dry.statements.map((s) => s.status)).toEqual(["ok", "ok", "ok", "ok", "error"]);
      expect(dry.statements[1]).toMatchObject({ command: "UPDATE", rowCount: 9 });
      expect(dry.statements[3]).toMatchObject({ command: "DELETE", rowCount: 11 });
      expect(dry.error).toMatchObject({ statementIndex: 4, line: 5, sqlstate: "42P01" });
      expect(dry.error!.message).toMatch(/no_such_table/);
      expect(t.errorCount).toBeGreaterThan(0);
    }
    // Nothing persisted: schema and every row are as before.
    expect(await Promise.all([fingerprintTarget(f.devDb), fingerprintTarget(f.stagingDb)])).toEqual(before);
  });

  it("shows the schema before and after the dry run side by side", async () => {
    const { id } = await f.developer.changeRequest.create({
      title: "Add a category",
      target: { kind: "virtualDatabase", virtualDatabase: "shop" },
      sql: "ALTER TABLE items ADD COLUMN category text;\nCREATE INDEX CONCURRENTLY items_category_idx ON items (category);",
    });
    const cr = await checked(id);
    const dev = cr.checks.targets[0]!;
    expect(dev.dryRun.error).toBeNull();
    expect(dev.dryRun.statements.map((s) => s.status)).toEqual(["ok", "not_dry_run"]);
    expect(dev.schemaChanged).toBe(true);
    expect(dev.schemaDiff.filter((r) => r.change !== "same")).toEqual([{ left: null, right: "  column category text", change: "added" }]);
    expect(await withTarget(f.devDb, async (c) => (await c.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'category'")).rowCount)).toBe(0);
  });
});

describe("review policy per environment", () => {
  it("applies each environment's rule choices to its own targets' lint", async () => {
    const sql = "ALTER TABLE items ADD COLUMN seen timestamp;";
    const { id } = await f.developer.changeRequest.create({ title: "Policy per environment", target: { kind: "virtualDatabase", virtualDatabase: "shop" }, sql });
    const before = await checked(id);
    const code = before.checks.targets[0]!.lint.findings.find((x) => x.severity === "warning")!.code;
    expect(before.checks.targets[1]!.lint.findings.map((x) => x.code)).toContain(code);
    const dev = await f.h.tdb.db.environment.findUniqueOrThrow({ where: { name: "dev" } });
    const staging = await f.h.tdb.db.environment.findUniqueOrThrow({ where: { name: "staging" } });
    await expect(f.developer.sqlReview.updatePolicy({ environmentId: dev.id, stage: 10, approvalsRequired: 1, rules: {} })).rejects.toThrow(/may not call sqlReview.updatePolicy/);
    await f.dba.sqlReview.updatePolicy({ environmentId: dev.id, stage: 10, approvalsRequired: 1, rules: { [code]: { enabled: false, severity: "warning" } } });
    await f.dba.sqlReview.updatePolicy({ environmentId: staging.id, stage: 20, approvalsRequired: 1, rules: { [code]: { enabled: true, severity: "error" } } });
    await f.developer.changeRequest.rerunChecks({ id });
    const after = await waitFor("rerun checks", async () => {
      const c = await f.admin.changeRequest.get({ id });
      return c.checks.status === "DONE" && c.checks.finishedAt! > before.checks.finishedAt! ? c : null;
    });
    const [devCheck, stagingCheck] = after.checks.targets;
    expect(devCheck!.lint.findings.map((x) => x.code)).not.toContain(code);
    expect(stagingCheck!.lint.findings.find((x) => x.code === code)?.severity).toBe("error");
    expect(after.checks.errorCount).toBeGreaterThan(0);
    await f.dba.sqlReview.updatePolicy({ environmentId: dev.id, stage: 10, approvalsRequired: 1, rules: {} });
    await f.dba.sqlReview.updatePolicy({ environmentId: staging.id, stage: 20, approvalsRequired: 1, rules: {} });
    const audited = await f.h.tdb.db.auditEvent.count({ where: { action: "sql_review_policy.update" } });
    expect(audited).toBeGreaterThanOrEqual(4);
  });
});

describe("review", () => {
  it("blocks approval on errors, never lets the author approve, and asks a reason for warnings", async () => {
    const bad = await f.developer.changeRequest.create({ title: "Broken", target: { kind: "virtualDatabase", virtualDatabase: "shop" }, sql: "ALTER TABLE nope ADD COLUMN x int;" });
    await checked(bad.id);
    await expect(f.dba.changeRequest.approve({ id: bad.id, version: 1, body: "" })).rejects.toThrow(/check error/);
    await expect(f.developer.changeRequest.approve({ id: bad.id, version: 1, body: "" })).rejects.toThrow(/may not call changeRequest.approve/);

    const own = await f.dba.changeRequest.create({ title: "DBA's own", target: { kind: "virtualDatabase", virtualDatabase: "shop" }, sql: "CREATE TABLE dba_own (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);" });
    await checked(own.id);
    await expect(f.dba.changeRequest.approve({ id: own.id, version: 1, body: "" })).rejects.toThrow(/authors never approve their own change/);

    const warned = await f.developer.changeRequest.create({ title: "Warned", target: { kind: "virtualDatabase", virtualDatabase: "shop" }, sql: "ALTER TABLE items ADD COLUMN created timestamp;" });
    const w = await checked(warned.id);
    expect(w.checks.warningCount).toBeGreaterThan(0);
    await expect(f.dba.changeRequest.approve({ id: warned.id, version: 1, body: "" })).rejects.toThrow(/acknowledge them with a reason/);
    await f.dba.changeRequest.approve({ id: warned.id, version: 1, body: "fine", acknowledgement: "the app writes UTC" });

    // Staging needs two approvals: request changes by the second DBA blocks deploying, then a new version resets approvals.
    await f.admin.sqlReview.updatePolicy({ environmentId: (await f.h.tdb.db.environment.findUniqueOrThrow({ where: { name: "staging" } })).id, stage: 20, approvalsRequired: 2, rules: {} });
    await f.dba2.changeRequest.requestChanges({ id: warned.id, version: 1, body: "use timestamptz" });
    const blocked = await f.admin.changeRequest.get({ id: warned.id });
    expect(blocked.status).toBe("CHANGES_REQUESTED");
    expect(blocked.deploy.blockers.join("; ")).toMatch(/changes requested by/);
    await expect(f.dba.changeRequest.deployNext({ id: warned.id })).rejects.toThrow(/changes requested by/);
    await f.developer.changeRequest.updateSql({ id: warned.id, sql: "ALTER TABLE items ADD COLUMN created timestamptz;" });
    const v2 = await checked(warned.id);
    expect(v2.currentVersion).toBe(2);
    expect(v2.status).toBe("OPEN");
    expect(v2.review.approvers).toEqual([]);
    expect(v2.deploy.blockers.join("; ")).toMatch(/needs 1 more approval from a DBA for dev/);
    await f.dba.changeRequest.approve({ id: warned.id, version: 2, body: "" });
    await expect(f.dba.changeRequest.approve({ id: warned.id, version: 1, body: "" })).rejects.toThrow(/outdated/);
    await f.developer.changeRequest.comment({ id: warned.id, version: 2, body: "thanks" });
    const audit = await f.h.tdb.db.auditEvent.findMany({ where: { objectId: warned.id }, orderBy: { id: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["change_request.create", "change_request.approve", "change_request.request_changes", "change_request.new_version", "change_request.comment", "change_request.checks_finish"]));
    await f.admin.sqlReview.updatePolicy({ environmentId: (await f.h.tdb.db.environment.findUniqueOrThrow({ where: { name: "staging" } })).id, stage: 20, approvalsRequired: 1, rules: {} });
  });
});

describe("rollout", () => {
  it("applies stage by stage to two databases, CONCURRENTLY outside the transaction, and history agrees with the targets", async () => {
    const sql = [
      "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, item_id bigint NOT NULL, qty integer NOT NULL);",
      "INSERT INTO orders (item_id, qty) SELECT id, 1 FROM items WHERE id <= 3;",
      "CREATE INDEX CONCURRENTLY orders_item_idx ON orders (item_id);",
      "ALTER TABLE orders ADD CONSTRAINT orders_item_fk FOREIGN KEY (item_id) REFERENCES items (id) NOT VALID;",
    ].join("\n");
    const { id } = await f.developer.changeRequest.create({
      title: "Orders",
      target: { kind: "virtualDatabase", virtualDatabase: "shop" },
      sql,
      rollbackSql: "DROP TABLE orders;",
    });
    const cr = await checked(id);
    expect(cr.checks.errorCount).toBe(0);
    await f.dba.changeRequest.approve({ id, version: 1, body: "ok", acknowledgement: cr.checks.warningCount ? "reviewed" : undefined });

    const dev = await f.dba.changeRequest.deployNext({ id });
    const devDone = await stageDone(id, dev.stageId);
    expect(devDone.stage).toMatchObject({ status: "SUCCEEDED", environmentName: "dev", error: null });
    expect(devDone.stage.output.map((o) => o.status)).toEqual(["applied", "applied", "applied", "applied"]);
    expect(devDone.stage.output[1]!.rowCount).toBe(3);
    expect(devDone.cr.status).toBe("ROLLING_OUT");
    // Staging is untouched until its own stage.
    expect(await withTarget(f.stagingDb, async (c) => (await c.query("SELECT to_regclass('orders') AS t")).rows[0].t)).toBeNull();
    expect(await withTarget(f.devDb, async (c) => (await c.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_item_idx'::regclass")).rows[0].indisvalid)).toBe(true);

    const stg = await f.dba.changeRequest.deployNext({ id });
    const stgDone = await stageDone(id, stg.stageId);
    expect(stgDone.stage).toMatchObject({ status: "SUCCEEDED", environmentName: "staging" });
    expect(stgDone.cr.status).toBe("DONE");

    for (const [db, endpointName] of [[f.devDb, "shop-dev"], [f.stagingDb, "shop-staging"]] as const) {
      const onTarget = await withTarget(db, async (c) => (await c.query("SELECT statement_index, statement_hash, status FROM dbmesh_schema_history WHERE change_request_id = $1 ORDER BY statement_index", [id])).rows);
      const control = await f.h.tdb.db.schemaChangeHistory.findMany({ where: { changeRequestId: id, endpointName }, orderBy: { statementIndex: "asc" } });
      expect(onTarget.map((r) => r.status)).toEqual(["applied", "applied", "applied", "applied"]);
      expect(control.map((r) => [r.statementIndex, r.statementHash])).toEqual(onTarget.map((r) => [r.statement_index, r.statement_hash]));
      expect(await withTarget(db, async (c) => Number((await c.query("SELECT count(*) FROM orders")).rows[0].count))).toBe(3);
    }
    const history = await f.developer.changeRequest.history({ virtualDatabaseId: f.vdbId });
    const entries = history.entries.filter((e) => e.changeRequestId === id);
    expect(entries.map((e) => e.environmentName)).toEqual(["staging", "dev"]);
    expect(entries[0]!.snapshot!.schema).toContain("table public.orders");
    expect(entries[0]!.statements).toHaveLength(4);

    // Rollback, the same way.
    const rb = await f.dba.changeRequest.rollbackStage({ stageId: dev.stageId });
    const rbDone = await stageDone(id, rb.stageId);
    expect(rbDone.stage).toMatchObject({ status: "SUCCEEDED", kind: "ROLLBACK" });
    expect(await withTarget(f.devDb, async (c) => (await c.query("SELECT to_regclass('orders') AS t")).rows[0].t)).toBeNull();
    const afterOne = await f.admin.changeRequest.get({ id });
    expect(afterOne.status).toBe("DONE");
    expect(afterOne.deploy.blockers).toEqual(["the change was rolled back on dev: open a new change request to apply it again"]);
    const rb2 = await f.dba.changeRequest.rollbackStage({ stageId: stg.stageId });
    expect((await stageDone(id, rb2.stageId)).cr.status).toBe("CLOSED");
    await expect(f.dba.changeRequest.rollbackStage({ stageId: stg.stageId })).rejects.toThrow(/already exists/);
  }, 90_000);

  it("holds a stage scheduled for a maintenance window until then, and a cancelled one never runs", async () => {
    const { id } = await f.developer.changeRequest.create({ title: "Window", target: { kind: "endpoints", endpoints: ["shop-dev"] }, sql: "CREATE TABLE windowed (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);" });
    const cr = await checked(id);
    await f.dba.changeRequest.approve({ id, version: 1, body: "", acknowledgement: cr.checks.warningCount ? "ok" : undefined });
    const at = new Date(Date.now() + 3_000);
    const scheduled = await f.dba.changeRequest.deployNext({ id, scheduledAt: at });
    expect(scheduled.status).toBe("SCHEDULED");
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await f.admin.changeRequest.get({ id })).stages[0]!.status).toBe("SCHEDULED");
    expect(await withTarget(f.devDb, async (c) => (await c.query("SELECT to_regclass('windowed') AS t")).rows[0].t)).toBeNull();
    const done = await stageDone(id, scheduled.stageId);
    expect(done.stage.status).toBe("SUCCEEDED");
    expect(new Date(done.stage.startedAt!).getTime()).toBeGreaterThanOrEqual(at.getTime() - 50);

    const other = await f.developer.changeRequest.create({ title: "Cancelled window", target: { kind: "endpoints", endpoints: ["shop-dev"] }, sql: "CREATE TABLE never_made (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);" });
    const oc = await checked(other.id);
    await f.dba.changeRequest.approve({ id: other.id, version: 1, body: "", acknowledgement: oc.checks.warningCount ? "ok" : undefined });
    const s2 = await f.dba.changeRequest.deployNext({ id: other.id, scheduledAt: new Date(Date.now() + 1_500) });
    await f.dba.changeRequest.cancelStage({ stageId: s2.stageId });
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await f.admin.changeRequest.get({ id: other.id })).stages[0]!.status).toBe("CANCELLED");
    expect(await withTarget(f.devDb, async (c) => (await c.query("SELECT to_regclass('never_made') AS t")).rows[0].t)).toBeNull();
  }, 60_000);

  it("retries a lock timeout with backoff, then fails the stage clearly without applying any part of it", async () => {
    const { id } = await f.developer.changeRequest.create({
      title: "Blocked by a lock",
      target: { kind: "endpoints", endpoints: ["shop-dev"] },
      sql: "CREATE TABLE lock_probe (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nALTER TABLE items ADD COLUMN blocked integer;",
    });
    const cr = await checked(id);
    expect(cr.checks.errorCount).toBe(0);
    await f.dba.changeRequest.approve({ id, version: 1, body: "", acknowledgement: cr.checks.warningCount ? "ok" : undefined });
    await withTarget(f.devDb, async (holder) => {
      await holder.query("BEGIN; LOCK TABLE items IN ACCESS SHARE MODE;");
      const started = Date.now();
      const stage = await f.dba.changeRequest.deployNext({ id, lockTimeoutMs: 300, lockRetries: 2, retryBackoffMs: 200 });
      const done = await stageDone(id, stage.stageId);
      await holder.query("ROLLBACK");
      expect(done.stage.status).toBe("FAILED");
      expect(done.stage.error).toMatch(/statement 2 \(line 2, column \d+\) failed after 3 attempt\(s\): lock_timeout \(300 ms\)/);
      expect(done.stage.error).toMatch(/none applied/);
      expect(done.stage.output[1]).toMatchObject({ status: "failed", attempts: 3 });
      // 3 × 300 ms of lock waits plus 200 + 400 ms of backoff.
      expect(Date.now() - started).toBeGreaterThan(1_400);
      expect(done.cr.status).toBe("FAILED");
    });
    const left = await withTarget(f.devDb, async (c) => ({
      probe: (await c.query("SELECT to_regclass('lock_probe') AS t")).rows[0].t,
      history: (await c.query("SELECT count(*)::int AS n FROM dbmesh_schema_history WHERE change_request_id = $1", [id])).rows[0].n,
      column: (await c.query("SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'blocked'")).rows[0].n,
    }));
    expect(left).toEqual({ probe: null, history: 0, column: 0 });
    // Without the lock, a retry of the same stage succeeds.
    const stageId = (await f.admin.changeRequest.get({ id })).stages[0]!.id;
    await f.dba.changeRequest.retryStage({ stageId });
    expect((await stageDone(id, stageId)).stage.status).toBe("SUCCEEDED");
  }, 60_000);
});

describe("a stage BullMQ gives up", () => {
  it("waits while another session applies the same change, and is failed (not left running) when given up", async () => {
    const { id } = await f.developer.changeRequest.create({ title: "Busy target", target: { kind: "endpoints", endpoints: ["shop-dev"] }, sql: "CREATE TABLE busy_probe (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);" });
    const cr = await checked(id);
    await f.dba.changeRequest.approve({ id, version: 1, body: "", acknowledgement: cr.checks.warningCount ? "ok" : undefined });
    await withTarget(f.devDb, async (holder) => {
      // What a still-running earlier attempt holds: the change's advisory lock on the target.
      await holder.query("SELECT pg_advisory_lock(hashtext($1))", [`${id}:v1:APPLY`]);
      const { stageId } = await f.dba.changeRequest.deployNext({ id });
      const busy = await waitFor("the first attempt", async () => {
        const st = await f.h.tdb.db.changeStage.findUniqueOrThrow({ where: { id: stageId } });
        return st.status === "RUNNING" && st.attempts >= 1 ? st : null;
      });
      expect(busy.error).toBeNull();
      const { giveUpStage } = await import("@dbmesh/api/schema-change");
      expect(await giveUpStage({ db: f.h.tdb.db, secretKey: undefined, log: pino({ level: "silent" }) }, stageId, "job stalled more than allowable limit")).toBe(true);
      const failed = await f.admin.changeRequest.get({ id });
      expect(failed.stages[0]).toMatchObject({ status: "FAILED" });
      expect(failed.stages[0]!.error).toMatch(/the worker gave this stage up \(job stalled more than allowable limit\)/);
      await holder.query("SELECT pg_advisory_unlock_all()");
      // BullMQ's next attempt finds the stage failed and leaves it; a person retries it.
      await new Promise((r) => setTimeout(r, 6_000));
      expect((await f.h.tdb.db.changeStage.findUniqueOrThrow({ where: { id: stageId } })).status).toBe("FAILED");
      await f.dba.changeRequest.retryStage({ stageId });
      expect((await stageDone(id, stageId)).stage.status).toBe("SUCCEEDED");
    });
    expect((await f.h.tdb.db.auditEvent.findMany({ where: { objectId: id, action: "change_stage.give_up" } })).length).toBe(1);
  }, 60_000);
});

describe("drift", () => {
  it("flags a schema changed by hand, with the diff, and clears it when the schema is back", async () => {
    const queue = running.queues.get("schema-change")!;
    const { QueueEvents } = await import("bullmq");
    const { createRedis } = await import("@dbmesh/queue");
    const events = new QueueEvents("schema-change", { connection: createRedis(redisUrl, { forWorker: true }), prefix: `{${f.prefixBase}}` });
    await events.waitUntilReady();
    try {
      const run = async () => (await queue.add("detect-drift", {})).waitUntilFinished(events, 30_000);
      await run();
      expect(await f.admin.sqlReview.drift({})).toEqual([]);
      await withTarget(f.stagingDb, (c) => c.query("ALTER TABLE items ADD COLUMN by_hand integer"));
      await run();
      const drift = await f.admin.sqlReview.drift({});
      expect(drift.map((d) => d.endpointName)).toEqual(["shop-staging"]);
      expect(drift[0]!.diff).toMatch(/\+\s+column by_hand integer/);
      await withTarget(f.stagingDb, (c) => c.query("ALTER TABLE items DROP COLUMN by_hand"));
      await run();
      expect(await f.admin.sqlReview.drift({})).toEqual([]);
      const actions = (await f.h.tdb.db.auditEvent.findMany({ where: { action: { startsWith: "schema_drift." } } })).map((a) => a.action);
      expect(actions).toEqual(["schema_drift.detect", "schema_drift.resolve"]);
    } finally {
      await events.close();
    }
  }, 60_000);

  it("describes a schema the same way twice (drift detection relies on it)", async () => {
    const a = await withTarget(f.devDb, (c) => describeSchema(c));
    const b = await withTarget(f.devDb, (c) => describeSchema(c));
    expect(a).toBe(b);
    expect(a).toContain("table public.items");
    expect(a).not.toContain("dbmesh_schema_history");
  });
});
