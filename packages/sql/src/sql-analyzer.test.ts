import { beforeAll, describe, expect, it, vi } from "vitest";
import { isAnalyzerFailure, loadSqlAnalyzer } from "./sql-analyzer";
import type { SqlAnalyzer, StatementAnalysis } from "./types";

let analyzer: SqlAnalyzer;
beforeAll(async () => {
  analyzer = await loadSqlAnalyzer();
});

/** Tables as "operation:schema.name" (or "operation:name"), compared as a set. */
type Expected = Partial<Omit<StatementAnalysis, "tables">> & { tables?: readonly string[] };
type Case = [sql: string, expected: Expected];

const tableKeys = (a: StatementAnalysis) =>
  a.tables.map((t) => `${t.operation}:${t.schema === null ? "" : `${t.schema}.`}${t.name}`).sort();

function check(sql: string, expected: Expected) {
  const a = analyzer.analyze(sql);
  const { tables, ...rest } = expected;
  expect(a).toMatchObject(rest);
  if (tables !== undefined) expect(tableKeys(a)).toEqual([...tables].sort());
}

const RO = { readOnly: true, forUpdate: false, error: null, setsSessionState: false } as const;
const RW = { readOnly: false, error: null } as const;

const selects: Case[] = [
  ["SELECT 1", { kind: "select", statements: 1, transaction: null, tables: [], ...RO }],
  ["select * from users where id = $1", { kind: "select", tables: ["select:users"], ...RO }],
  [
    `SELECT o.id, c.name, i.sku FROM shop.orders o
       JOIN shop.customers c ON c.id = o.customer_id
       LEFT JOIN public.items i ON i.order_id = o.id
     WHERE o.created_at > now() - interval '1 day'`,
    { kind: "select", tables: ["select:shop.orders", "select:shop.customers", "select:public.items"], ...RO },
  ],
  ["SELECT * FROM a, b CROSS JOIN c NATURAL JOIN d", { tables: ["select:a", "select:b", "select:c", "select:d"], ...RO }],
  [
    "SELECT (SELECT max(x) FROM m), y FROM t WHERE y IN (SELECT y FROM u) OR EXISTS (SELECT 1 FROM v WHERE v.id = t.id)",
    { tables: ["select:m", "select:t", "select:u", "select:v"], ...RO },
  ],
  ["SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.t_id = t.id LIMIT 1) l", { tables: ["select:t", "select:u"], ...RO }],
  ["SELECT * FROM (SELECT * FROM (SELECT * FROM deep) a) b", { tables: ["select:deep"], ...RO }],
  ["SELECT a FROM t UNION SELECT a FROM u INTERSECT SELECT a FROM v", { tables: ["select:t", "select:u", "select:v"], ...RO }],
  ["SELECT * FROM generate_series(1, 10) g, unnest(ARRAY[1,2]) u", { tables: [], ...RO }],
  ["SELECT * FROM t TABLESAMPLE SYSTEM (10)", { tables: ["select:t"], ...RO }],
  ["SELECT * FROM ONLY parent", { tables: ["select:parent"], ...RO }],
  ["VALUES (1, 'a'), (2, 'b')", { kind: "select", tables: [], ...RO }],
  ["TABLE audit.events", { kind: "select", tables: ["select:audit.events"], ...RO }],
  // Identifiers: unquoted fold to lower case, quoted keep theirs; a catalog name is dropped.
  ['SELECT * FROM "My Schema"."Order Items"', { tables: ["select:My Schema.Order Items"], ...RO }],
  ['SELECT * FROM Users JOIN "Users" ON true', { tables: ["select:users", "select:Users"], ...RO }],
  ["SELECT * FROM mydb.app.orders", { tables: ["select:app.orders"], ...RO }],
  ['SELECT * FROM "we""ird"', { tables: ['select:we"ird'], ...RO }],
  // Function calls are not inspected: nextval() and friends count as read-only (route them with a rule).
  ["SELECT nextval('order_id_seq')", { kind: "select", tables: [], ...RO }],
  ["SELECT pg_advisory_lock(42)", { kind: "select", ...RO }],
  ["SELECT set_config('app.user', 'x', false)", { kind: "select", ...RO }],
  // Dollar quotes and string literals hide their contents from the statement splitter and the walker.
  ["SELECT $tag$ DELETE FROM t; $tag$ AS s, 'a;b', $$;$$ FROM x", { statements: 1, tables: ["select:x"], ...RO }],
  ["SELECT E'it\\'s; DROP TABLE t' FROM x", { statements: 1, tables: ["select:x"], ...RO }],
  ["SELECT 1 -- ; DELETE FROM t\n FROM x /* ; DROP TABLE y */", { statements: 1, tables: ["select:x"], ...RO }],
];

const ctes: Case[] = [
  [
    "WITH recent AS (SELECT * FROM orders WHERE ts > now() - interval '1 day') SELECT * FROM recent JOIN customers USING (id)",
    { kind: "select", tables: ["select:orders", "select:customers"], ...RO },
  ],
  [
    "WITH a AS (SELECT * FROM t), b AS (SELECT * FROM a JOIN u ON true) SELECT * FROM b",
    { tables: ["select:t", "select:u"], ...RO },
  ],
  [
    "WITH RECURSIVE tree AS (SELECT id, parent FROM nodes WHERE parent IS NULL UNION ALL SELECT n.id, n.parent FROM nodes n JOIN tree ON n.parent = tree.id) SELECT * FROM tree",
    { tables: ["select:nodes"], ...RO },
  ],
  // A non-recursive CTE does not see itself: the inner `t` is the real table.
  ["WITH t AS (SELECT * FROM t WHERE x > 0) SELECT * FROM t", { tables: ["select:t"], ...RO }],
  // A qualified name is never a CTE.
  ["WITH t AS (SELECT 1) SELECT * FROM t, public.t", { tables: ["select:public.t"], ...RO }],
  // A CTE inside a subquery hides nothing outside it: the first `secret` is the real table.
  ["SELECT * FROM secret, (WITH secret AS (SELECT 1) SELECT * FROM secret) s", { tables: ["select:secret"], ...RO }],
  ["(WITH a AS (SELECT 1) SELECT * FROM a) UNION ALL SELECT * FROM b", { tables: ["select:b"], ...RO }],
  // Writable CTEs are writes, whatever the outer statement.
  [
    "WITH gone AS (DELETE FROM sessions WHERE expires < now() RETURNING *) SELECT count(*) FROM gone",
    { kind: "select", tables: ["delete:sessions"], ...RW, forUpdate: false },
  ],
  [
    "WITH x AS (UPDATE accounts SET balance = 0 WHERE id = 1 RETURNING *) SELECT * FROM x JOIN owners ON true",
    { kind: "select", tables: ["update:accounts", "select:owners"], ...RW },
  ],
  [
    "WITH x AS (INSERT INTO log (msg) VALUES ('hi') RETURNING id) SELECT id FROM x",
    { kind: "select", tables: ["insert:log"], ...RW },
  ],
  [
    "WITH moved AS (DELETE FROM queue WHERE id = 1 RETURNING *) INSERT INTO archive SELECT * FROM moved",
    { kind: "insert", tables: ["delete:queue", "insert:archive"], ...RW },
  ],
  // A DML target is never resolved as a CTE (PostgreSQL opens the table).
  ["WITH t AS (SELECT 1 AS a) INSERT INTO t SELECT a FROM t", { kind: "insert", tables: ["insert:t"], ...RW }],
];

const locking: Case[] = [
  ["SELECT * FROM t WHERE id = 1 FOR UPDATE", { kind: "select_for_update", forUpdate: true, ...RW, tables: ["select:t"] }],
  ["SELECT * FROM t FOR SHARE", { kind: "select_for_update", forUpdate: true, readOnly: false }],
  ["SELECT * FROM t FOR NO KEY UPDATE NOWAIT", { kind: "select_for_update", forUpdate: true, readOnly: false }],
  ["SELECT * FROM t FOR KEY SHARE", { kind: "select_for_update", forUpdate: true, readOnly: false }],
  // `OF j` names a FROM item (here an alias), not a table.
  [
    "SELECT * FROM jobs j JOIN workers w ON w.id = j.worker WHERE j.state = 'ready' LIMIT 1 FOR UPDATE OF j SKIP LOCKED",
    { kind: "select_for_update", forUpdate: true, readOnly: false, tables: ["select:jobs", "select:workers"] },
  ],
  ["SELECT * FROM (SELECT * FROM t FOR UPDATE) s", { kind: "select_for_update", forUpdate: true, readOnly: false }],
  ["INSERT INTO t SELECT * FROM u FOR UPDATE", { kind: "insert", forUpdate: true, readOnly: false }],
  ["SELECT 1 INTO new_t FROM t", { kind: "select", ...RW, setsSessionState: false, tables: ["ddl:new_t", "select:t"] }],
  ["SELECT * INTO TEMP tmp_t FROM t", { kind: "select", ...RW, setsSessionState: true, tables: ["ddl:tmp_t", "select:t"] }],
];

const writes: Case[] = [
  ["INSERT INTO users (name) VALUES ($1)", { kind: "insert", tables: ["insert:users"], ...RW }],
  ["INSERT INTO app.users (name) VALUES ('a') RETURNING id", { kind: "insert", tables: ["insert:app.users"], ...RW }],
  ["INSERT INTO t SELECT * FROM t WHERE false", { kind: "insert", tables: ["insert:t", "select:t"], ...RW }],
  [
    "INSERT INTO counters (k, n) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET n = counters.n + (SELECT 1 FROM bump)",
    { kind: "insert", tables: ["insert:counters", "select:bump"], ...RW },
  ],
  [
    "UPDATE orders o SET total = s.total FROM (SELECT order_id, sum(p) AS total FROM lines GROUP BY 1) s WHERE s.order_id = o.id",
    { kind: "update", tables: ["update:orders", "select:lines"], ...RW },
  ],
  ["UPDATE t SET a = (SELECT max(a) FROM u)", { kind: "update", tables: ["update:t", "select:u"], ...RW }],
  ["DELETE FROM t USING u WHERE t.id = u.id RETURNING t.*", { kind: "delete", tables: ["delete:t", "select:u"], ...RW }],
  ["DELETE FROM ONLY s.t WHERE id IN (SELECT id FROM s.t LIMIT 10)", { kind: "delete", tables: ["delete:s.t", "select:s.t"], ...RW }],
  [
    `MERGE INTO stock s USING deliveries d ON s.item = d.item
     WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty
     WHEN NOT MATCHED THEN INSERT (item, qty) VALUES (d.item, d.qty)`,
    { kind: "merge", tables: ["merge:stock", "select:deliveries"], ...RW },
  ],
  [
    "MERGE INTO t USING (SELECT * FROM src JOIN other ON true) x ON t.id = x.id WHEN MATCHED THEN DELETE",
    { kind: "merge", tables: ["merge:t", "select:src", "select:other"], ...RW },
  ],
  ["COPY t FROM STDIN", { kind: "copy", tables: ["copy:t"], ...RW }],
  ["COPY s.t (a, b) TO STDOUT WITH (FORMAT csv, HEADER)", { kind: "copy", tables: ["copy:s.t"], ...RW }],
  ["COPY (SELECT * FROM t JOIN u USING (id)) TO STDOUT", { kind: "copy", tables: ["select:t", "select:u"], ...RW }],
  ["COPY (DELETE FROM t RETURNING *) TO STDOUT", { kind: "copy", tables: ["delete:t"], ...RW }],
  ["TRUNCATE a, s.b RESTART IDENTITY CASCADE", { kind: "truncate", tables: ["truncate:a", "truncate:s.b"], ...RW }],
  ["TRUNCATE TABLE ONLY t", { kind: "truncate", tables: ["truncate:t"], ...RW }],
];

const explain: Case[] = [
  ["EXPLAIN SELECT * FROM t", { kind: "explain", tables: ["select:t"], ...RO }],
  ["EXPLAIN ANALYZE SELECT * FROM t JOIN u ON true", { kind: "explain", tables: ["select:t", "select:u"], ...RO }],
  ["EXPLAIN ANALYZE DELETE FROM t WHERE id = 1", { kind: "explain", tables: ["delete:t"], ...RW }],
  ["EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1", { kind: "explain", ...RW }],
  ["EXPLAIN (ANALYZE true) DELETE FROM t", { kind: "explain", ...RW }],
  ["EXPLAIN (ANALYZE on) DELETE FROM t", { kind: "explain", ...RW }],
  ["EXPLAIN (ANALYZE 1) DELETE FROM t", { kind: "explain", ...RW }],
  // Without ANALYZE nothing runs: PostgreSQL plans the write even on a standby.
  ["EXPLAIN DELETE FROM t", { kind: "explain", tables: ["delete:t"], ...RO }],
  ["EXPLAIN (ANALYZE false, VERBOSE) DELETE FROM t", { kind: "explain", ...RO }],
  ["EXPLAIN (ANALYZE off) INSERT INTO t VALUES (1)", { kind: "explain", ...RO }],
  ["EXPLAIN (ANALYZE 0) INSERT INTO t VALUES (1)", { kind: "explain", ...RO }],
  ["EXPLAIN (FORMAT JSON) SELECT 1", { kind: "explain", ...RO }],
  ["EXPLAIN ANALYZE WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", { kind: "explain", ...RW }],
  ["EXPLAIN ANALYZE SELECT * FROM t FOR UPDATE", { kind: "explain", forUpdate: true, readOnly: false }],
  ["EXPLAIN ANALYZE CREATE TABLE x AS SELECT * FROM y", { kind: "explain", tables: ["ddl:x", "select:y"], ...RW }],
  // A prepared statement exists only on the connection that prepared it.
  ["EXPLAIN EXECUTE p(1)", { kind: "explain", ...RW }],
];

const session: Case[] = [
  ["SET search_path = app, public", { kind: "set", setsSessionState: true, ...RW }],
  ["SET SESSION statement_timeout = '5s'", { kind: "set", setsSessionState: true }],
  ["SET LOCAL statement_timeout = '5s'", { kind: "set", setsSessionState: false, readOnly: false }],
  ["SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", { kind: "set", setsSessionState: false }],
  ["SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", { kind: "set", setsSessionState: true }],
  ["SET ROLE app_reader", { kind: "set", setsSessionState: true }],
  ["SET SESSION AUTHORIZATION alice", { kind: "set", setsSessionState: true }],
  ["SET TIME ZONE 'UTC'", { kind: "set", setsSessionState: true }],
  ["RESET ALL", { kind: "set", setsSessionState: true }],
  ["RESET search_path", { kind: "set", setsSessionState: true }],
  ["SHOW search_path", { kind: "show", ...RO }],
  ["SHOW ALL", { kind: "show", ...RO }],
  ["PREPARE q (int) AS SELECT * FROM t WHERE id = $1", { kind: "other", setsSessionState: true, tables: ["select:t"], ...RW }],
  ["PREPARE d AS DELETE FROM t", { kind: "other", setsSessionState: true, tables: ["delete:t"], ...RW }],
  ["EXECUTE q(1)", { kind: "other", setsSessionState: false, ...RW }],
  ["DEALLOCATE q", { kind: "other", setsSessionState: false, ...RW }],
  ["LISTEN jobs", { kind: "other", setsSessionState: true, ...RW }],
  ["UNLISTEN *", { kind: "other", setsSessionState: true }],
  ["NOTIFY jobs, 'x'", { kind: "other", setsSessionState: false, ...RW }],
  ["LOAD 'auto_explain'", { kind: "other", setsSessionState: true }],
  ["DISCARD ALL", { kind: "other", setsSessionState: true }],
  ["DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t", { kind: "other", setsSessionState: true, tables: ["select:t"], ...RW }],
  ["DECLARE c NO SCROLL CURSOR FOR SELECT * FROM t", { kind: "other", setsSessionState: false, ...RW }],
  ["DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE", { kind: "other", forUpdate: true, readOnly: false }],
  ["CREATE TEMP TABLE scratch (id int)", { kind: "ddl", setsSessionState: true, tables: ["ddl:scratch"], ...RW }],
  ["CREATE TEMPORARY TABLE s2 AS SELECT * FROM t", { kind: "ddl", setsSessionState: true, tables: ["ddl:s2", "select:t"] }],
  ["CREATE TEMP VIEW v AS SELECT * FROM t", { kind: "ddl", setsSessionState: true, tables: ["ddl:v", "select:t"] }],
  ["CREATE TEMP SEQUENCE s", { kind: "ddl", setsSessionState: true, tables: ["ddl:s"] }],
  ["CREATE TABLE pg_temp.scratch (id int)", { kind: "ddl", setsSessionState: true }],
  ["CREATE TEMP TABLE per_tx (id int) ON COMMIT DROP", { kind: "ddl", setsSessionState: false, tables: ["ddl:per_tx"] }],
  ["CREATE TEMP TABLE per_tx2 ON COMMIT DROP AS SELECT * FROM t", { kind: "ddl", setsSessionState: false }],
  ["CREATE TEMP TABLE kept_rows (id int) ON COMMIT DELETE ROWS", { kind: "ddl", setsSessionState: true }],
  ["CREATE TABLE kept (id int)", { kind: "ddl", setsSessionState: false }],
  ["CREATE UNLOGGED TABLE u (id int)", { kind: "ddl", setsSessionState: false }],
];

const transactions: Case[] = [
  ["BEGIN", { kind: "transaction", transaction: "begin", ...RW, setsSessionState: false }],
  ["BEGIN ISOLATION LEVEL REPEATABLE READ", { kind: "transaction", transaction: "begin" }],
  ["START TRANSACTION READ ONLY", { kind: "transaction", transaction: "begin", readOnly: false }],
  ["COMMIT", { kind: "transaction", transaction: "commit" }],
  ["END", { kind: "transaction", transaction: "commit" }],
  ["COMMIT AND CHAIN", { kind: "transaction", transaction: "commit" }],
  ["ROLLBACK", { kind: "transaction", transaction: "rollback" }],
  ["ABORT", { kind: "transaction", transaction: "rollback" }],
  ["SAVEPOINT sp1", { kind: "transaction", transaction: "savepoint" }],
  ["RELEASE SAVEPOINT sp1", { kind: "transaction", transaction: "release" }],
  ["RELEASE sp1", { kind: "transaction", transaction: "release" }],
  ["ROLLBACK TO SAVEPOINT sp1", { kind: "transaction", transaction: "rollback_to" }],
  ["ROLLBACK TO sp1", { kind: "transaction", transaction: "rollback_to" }],
  ["PREPARE TRANSACTION 'gid-1'", { kind: "transaction", transaction: "prepare" }],
  ["COMMIT PREPARED 'gid-1'", { kind: "transaction", transaction: "other" }],
  ["ROLLBACK PREPARED 'gid-1'", { kind: "transaction", transaction: "other" }],
  ["SELECT 1", { transaction: null }],
];

const ddl: Case[] = [
  ["CREATE TABLE a (id int PRIMARY KEY, b_id int REFERENCES b (id))", { kind: "ddl", tables: ["ddl:a", "ddl:b"], ...RW }],
  ["CREATE TABLE IF NOT EXISTS s.child (LIKE s.parent INCLUDING ALL)", { kind: "ddl", tables: ["ddl:s.child", "ddl:s.parent"] }],
  ["CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (1) TO (10)", { kind: "ddl", tables: ["ddl:p1", "ddl:p"] }],
  ["ALTER TABLE s.t ADD COLUMN c int NOT NULL DEFAULT 0", { kind: "ddl", tables: ["ddl:s.t"] }],
  ["ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u_id) REFERENCES u (id)", { kind: "ddl", tables: ["ddl:t", "ddl:u"] }],
  ["ALTER TABLE t RENAME TO t_old", { kind: "ddl", tables: ["ddl:t"] }],
  ["ALTER TABLE t RENAME COLUMN a TO b", { kind: "ddl", tables: ["ddl:t"] }],
  ["ALTER TABLE t SET SCHEMA archive", { kind: "ddl", tables: ["ddl:t"] }],
  ["DROP TABLE IF EXISTS a, s.b CASCADE", { kind: "ddl", tables: ["ddl:a", "ddl:s.b"], ...RW }],
  ["DROP VIEW v", { kind: "ddl", tables: ["ddl:v"] }],
  ["DROP INDEX CONCURRENTLY app.idx_t_a", { kind: "ddl", tables: ["ddl:app.idx_t_a"] }],
  ["DROP TRIGGER trg ON s.t", { kind: "ddl", tables: ["ddl:s.t"] }],
  ["DROP FUNCTION f(int)", { kind: "ddl", tables: ["ddl:*"] }],
  ["CREATE INDEX CONCURRENTLY idx ON s.t (a) WHERE b > 0", { kind: "ddl", tables: ["ddl:s.t"] }],
  ["CREATE UNIQUE INDEX ON t USING btree (lower(email))", { kind: "ddl", tables: ["ddl:t"] }],
  ["CREATE VIEW v AS SELECT * FROM t JOIN u USING (id)", { kind: "ddl", tables: ["ddl:v", "select:t", "select:u"] }],
  ["CREATE OR REPLACE VIEW v AS WITH c AS (SELECT 1) SELECT * FROM c", { kind: "ddl", tables: ["ddl:v"] }],
  ["CREATE MATERIALIZED VIEW m AS SELECT count(*) FROM t", { kind: "ddl", tables: ["ddl:m", "select:t"] }],
  ["CREATE TABLE x AS SELECT * FROM y", { kind: "ddl", tables: ["ddl:x", "select:y"], ...RW }],
  ["CREATE SEQUENCE s.seq START 100", { kind: "ddl", tables: ["ddl:s.seq"] }],
  ["COMMENT ON TABLE s.t IS 'orders'", { kind: "ddl", tables: ["ddl:s.t"] }],
  ["COMMENT ON COLUMN s.t.c IS 'total'", { kind: "ddl", tables: ["ddl:s.t"] }],
  ["SECURITY LABEL ON TABLE s.t IS 'secret'", { kind: "ddl", tables: ["ddl:s.t"] }],
  ["CREATE TABLE c2 (x int) INHERITS (p)", { kind: "ddl", tables: ["ddl:c2", "ddl:p"] }],
  ["ALTER TABLE p ATTACH PARTITION p2 FOR VALUES IN (2)", { kind: "ddl", tables: ["ddl:p", "ddl:p2"] }],
  // No table named, though it may drop many: reported as ddl on `*`, so only a rule covering every table allows it.
  ["DROP SCHEMA app CASCADE", { kind: "ddl", tables: ["ddl:*"] }],
  ["GRANT SELECT ON ALL TABLES IN SCHEMA app TO r", { kind: "ddl", tables: ["ddl:*"] }],
  ["GRANT SELECT, INSERT ON s.t, u TO app", { kind: "ddl", tables: ["ddl:s.t", "ddl:u"] }],
  ["REVOKE ALL ON t FROM PUBLIC", { kind: "ddl", tables: ["ddl:t"] }],
  ["GRANT reader TO alice", { kind: "ddl", tables: ["ddl:*"] }],
  ["CREATE SCHEMA IF NOT EXISTS app", { kind: "ddl", tables: ["ddl:*"] }],
  ["CREATE EXTENSION IF NOT EXISTS pgcrypto", { kind: "ddl", tables: ["ddl:*"] }],
  ["CREATE ROLE app LOGIN", { kind: "ddl" }],
  ["ALTER SYSTEM SET work_mem = '64MB'", { kind: "ddl" }],
  ["CREATE TYPE mood AS ENUM ('sad', 'ok')", { kind: "ddl" }],
  ["CREATE TYPE pair AS (a int, b int)", { kind: "ddl" }],
  // A function body in a string is opaque; a BEGIN ATOMIC body is parsed.
  [
    "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM t; RETURN 1; END $$",
    { kind: "ddl", statements: 1, tables: ["ddl:*"], ...RW },
  ],
  [
    "CREATE FUNCTION g() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM t; END",
    { kind: "ddl", tables: ["select:t", "ddl:*"] },
  ],
  [
    "CREATE TRIGGER trg AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION audit()",
    { kind: "ddl", tables: ["ddl:s.t"] },
  ],
  [
    "CREATE RULE r AS ON INSERT TO t DO ALSO INSERT INTO t_log SELECT 1",
    { kind: "ddl", tables: ["ddl:t", "insert:t_log"] },
  ],
  ["CREATE POLICY p ON t USING (owner = current_user)", { kind: "ddl", tables: ["ddl:t"] }],
];

const other: Case[] = [
  ["CALL refresh_totals(1)", { kind: "call", ...RW, tables: [] }],
  ["DO $$ BEGIN DELETE FROM t; END $$", { kind: "call", statements: 1, tables: [], ...RW }],
  ["DO LANGUAGE plpgsql $body$ BEGIN PERFORM 1; END $body$", { kind: "call", ...RW }],
  ["VACUUM (ANALYZE) t", { kind: "other", tables: ["ddl:t"], ...RW }],
  ["ANALYZE s.t", { kind: "other", tables: ["ddl:s.t"] }],
  ["REFRESH MATERIALIZED VIEW CONCURRENTLY m", { kind: "other", tables: ["ddl:m"], ...RW }],
  ["CLUSTER t USING t_pkey", { kind: "other", tables: ["ddl:t"] }],
  ["REINDEX TABLE t", { kind: "other", tables: ["ddl:t"] }],
  ["LOCK TABLE t IN ACCESS SHARE MODE", { kind: "other", tables: ["select:t"], ...RW }],
  ["LOCK t, u", { kind: "other", tables: ["update:t", "update:u"], ...RW }],
  ["CHECKPOINT", { kind: "other", ...RW }],
];

const multi: Case[] = [
  ["SELECT 1; SELECT * FROM t", { kind: "select", statements: 2, tables: ["select:t"], ...RO }],
  ["SELECT * FROM a; DELETE FROM b", { kind: "select", statements: 2, tables: ["select:a", "delete:b"], ...RW }],
  ["SELECT * FROM a FOR UPDATE; SELECT 1", { kind: "select_for_update", statements: 2, forUpdate: true, readOnly: false }],
  ["SELECT 1; SELECT * FROM a FOR UPDATE", { kind: "select", forUpdate: true, readOnly: false }],
  [
    "BEGIN; UPDATE t SET x = 1; COMMIT;",
    { kind: "transaction", transaction: "begin", statements: 3, tables: ["update:t"], ...RW },
  ],
  ["SET search_path = app; SELECT * FROM t", { kind: "set", statements: 2, setsSessionState: true, readOnly: false }],
  ["SHOW x; SELECT 1", { kind: "show", statements: 2, ...RO }],
  ["SELECT * FROM t; SELECT * FROM t", { statements: 2, tables: ["select:t"], ...RO }],
  ["SELECT 1;;; SELECT 2;", { statements: 2, ...RO }],
  // Each statement has its own CTEs.
  ["WITH t AS (SELECT 1) SELECT * FROM t; SELECT * FROM t", { statements: 2, tables: ["select:t"], ...RO }],
];

const FAIL = { kind: "other", statements: 0, readOnly: false, forUpdate: false, transaction: null, tables: [] } as const;
const errors: Case[] = [
  ["SELEC 1", { ...FAIL, error: 'syntax error at or near "SELEC"' }],
  ["SELECT * FROM", { ...FAIL, error: "syntax error at end of input" }],
  ["SELECT 1; DELETE FRM t", { ...FAIL, error: 'syntax error at or near "FRM"' }],
  ["SELECT 'unterminated", { ...FAIL, error: "unterminated quoted string at or near \"'unterminated\"" }],
  ["SELECT $$ never closed", { ...FAIL, error: 'unterminated dollar-quoted string at or near "$$ never closed"' }],
  ['SELECT * FROM "unterminated', { ...FAIL, error: 'unterminated quoted identifier at or near ""unterminated"' }],
  ["BEGIN; UPDATE; COMMIT", { ...FAIL, error: 'syntax error at or near ";"' }],
  // Empty texts are not errors: PostgreSQL answers them with EmptyQueryResponse.
  ["", { ...FAIL, error: null }],
  ["   \n\t ", { ...FAIL, error: null }],
  ["-- only a comment", { ...FAIL, error: null }],
  [";", { ...FAIL, error: null }],
];

describe("analyze()", () => {
  describe.each([
    ["SELECT", selects],
    ["CTEs", ctes],
    ["locking and INTO", locking],
    ["writes", writes],
    ["EXPLAIN", explain],
    ["session state", session],
    ["transaction control", transactions],
    ["DDL", ddl],
    ["other statements", other],
    ["several statements", multi],
    ["errors and empty texts", errors],
  ] as const)("%s", (_name, cases) => {
    it.each(cases)("%s", (sql, expected) => check(sql, expected));
  });

  it("answers a parse error so that it is not mistaken for an analyzer failure", () => {
    expect(isAnalyzerFailure(analyzer.analyze("SELEC 1"))).toBe(false);
  });

  it("returns frozen results, so that no caller can change what the cache shares", () => {
    const a = analyzer.analyze("SELECT * FROM frozen_t");
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.tables)).toBe(true);
    expect(Object.isFrozen(a.tables[0])).toBe(true);
  });
});

describe("the cache", () => {
  it("answers the same text with the same object", async () => {
    const a = await loadSqlAnalyzer();
    const first = a.analyze("SELECT * FROM cached");
    expect(a.cacheSize).toBe(1);
    expect(a.analyze("SELECT * FROM cached")).toBe(first);
    expect(a.analyze("select * from cached")).not.toBe(first); // exact text, no normalization
    expect(a.cacheSize).toBe(2);
  });

  it("caches parse errors and empty texts too", async () => {
    const a = await loadSqlAnalyzer();
    const bad = a.analyze("SELEC 1");
    expect(a.analyze("SELEC 1")).toBe(bad);
    a.analyze("");
    expect(a.cacheSize).toBe(2);
  });

  it("is bounded in entries", async () => {
    const a = await loadSqlAnalyzer({ cacheEntries: 50 });
    // Column names, not literals: texts that differ only in literals would share one entry.
    for (let i = 0; i < 500; i++) a.analyze(`SELECT c${i} FROM t`);
    expect(a.cacheSize).toBe(50);
    for (let i = 0; i < 500; i++) a.analyze(`SELECT c${i} FROM t WHERE id = ${i}`);
    expect(a.cacheSize).toBe(100); // 50 by text, 50 by literal shape
  });

  it("keeps a text that is used and drops one that is not", async () => {
    const a = await loadSqlAnalyzer({ cacheEntries: 3 });
    const hot = a.analyze("SELECT hot");
    const cold = a.analyze("SELECT cold");
    a.analyze("SELECT third");
    expect(a.analyze("SELECT hot")).toBe(hot); // a hit
    a.analyze("SELECT fourth"); // evicts cold, the least recently used
    expect(a.cacheSize).toBe(3);
    expect(a.analyze("SELECT hot")).toBe(hot);
    expect(a.analyze("SELECT cold")).not.toBe(cold);
  });

  it("analyzes long texts without caching them", async () => {
    const a = await loadSqlAnalyzer({ maxCachedSqlLength: 100 });
    const long = `SELECT * FROM t WHERE id IN (${Array.from({ length: 100 }, (_, i) => i).join(", ")})`;
    expect(a.analyze(long)).toMatchObject({ kind: "select", readOnly: true, tables: [{ name: "t" }] });
    expect(a.cacheSize).toBe(0);
    a.analyze("SELECT 1");
    expect(a.cacheSize).toBe(1);
  });

  it("can be turned off", async () => {
    const a = await loadSqlAnalyzer({ cacheEntries: 0 });
    expect(a.analyze("SELECT 1")).toMatchObject({ kind: "select" });
    expect(a.cacheSize).toBe(0);
  });
});

describe("deep statements", () => {
  it("walks any tree the parser accepts (deeper than the JS stack would recurse)", () => {
    const unions = Array.from({ length: 5000 }, (_, i) => `SELECT ${i} FROM t${i % 3}`).join(" UNION ALL ");
    expect(analyzer.analyze(unions)).toMatchObject({ kind: "select", readOnly: true, error: null });
    expect(tableKeys(analyzer.analyze(unions))).toEqual(["select:t0", "select:t1", "select:t2"]);
    const sum = `SELECT ${Array(6000).fill("a").join(" + ")} FROM (WITH c AS (SELECT 1 AS a) SELECT * FROM c) s, u`;
    expect(tableKeys(analyzer.analyze(sum))).toEqual(["select:u"]);
  });
});

describe("statements too deep for the parser", () => {
  const deep = (i: number) => `SELECT ${Array(60_000).fill("a").join(" + ")} + ${i} FROM t`;

  it("fail closed, and the analyzer keeps working for everything else", async () => {
    const a = await loadSqlAnalyzer();
    const first = a.analyze(deep(0));
    expect(isAnalyzerFailure(first)).toBe(true);
    expect(first).toMatchObject({ kind: "other", readOnly: false, tables: [] });
    expect(first.error).toMatch(/nested too deeply/);
    // Enough of them to corrupt a libpg-query module that is reused after a stack overflow (~40).
    for (let i = 1; i < 60; i++) {
      expect(isAnalyzerFailure(a.analyze(deep(i)))).toBe(true);
      // Let the spare parser come up now and then, as it would between real queries.
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    // Right after a failure the parser may still be restarting ("unavailable", never cached).
    await vi.waitFor(() => expect(a.analyze("SELECT 1").error).toBeNull());
    expect(a.analyze("SELECT * FROM still_ok JOIN fine ON true")).toMatchObject({
      kind: "select",
      readOnly: true,
      error: null,
      tables: [{ name: "still_ok" }, { name: "fine" }],
    });
  }, 30_000);

  it("remembers a too-deep text so that it costs no new parser the second time", async () => {
    const a = await loadSqlAnalyzer({ maxCachedSqlLength: 1_000_000 });
    const text = deep(1);
    const first = a.analyze(text);
    expect(a.analyze(text)).toBe(first);
  });
});
