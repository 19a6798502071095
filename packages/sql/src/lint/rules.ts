import type { LintPolicy, LintRuleInfo } from "./types";

// The catalog of lint rules: what the console shows behind each code. Codes are Atlas's where Atlas has the
// same check (https://atlasgo.io/lint/analyzers), so that people who know Atlas read them the same way;
// dbmesh's own are DMxxx: DM1xx locking and rewrites, DM2xx destructive data changes, DM3xx transactions,
// DM4xx types and table design, DM5xx data-dependent. Codes never change meaning; retired codes are not reused.
// `firesOn`/`passesOn` are run by lint-rules.test.ts: each must fire (or not) exactly as stated.

export const LINT_RULES: readonly LintRuleInfo[] = Object.freeze([
  // Destructive
  {
    code: "DS101",
    title: "Schema dropped",
    category: "destructive",
    defaultSeverity: "error",
    explanation:
      "Dropping a schema deletes every table, view and function in it, with their data, and cannot be undone. " +
      "Make sure nothing uses it and that a backup exists; move what should survive to another schema first.",
    fixExample: "-- after checking that it holds nothing you need:\nDROP SCHEMA legacy RESTRICT;",
    firesOn: "DROP SCHEMA legacy CASCADE;",
    passesOn: "CREATE SCHEMA scratch;\nDROP SCHEMA scratch;",
  },
  {
    code: "DS102",
    title: "Table dropped",
    category: "destructive",
    defaultSeverity: "error",
    explanation:
      "Dropping a table deletes its rows for good, and running code that still reads or writes it starts failing. " +
      "Stop using the table in the application first, keep a backup (or rename it and drop it in a later change), " +
      "and only then drop it.",
    fixExample: "-- release 1: stop using the table; release 2:\nALTER TABLE old_orders RENAME TO old_orders_retired;\n-- release 3:\nDROP TABLE old_orders_retired;",
    firesOn: "DROP TABLE orders;",
    passesOn: "CREATE TABLE tmp_import (id bigint PRIMARY KEY);\nDROP TABLE tmp_import;",
  },
  {
    code: "DS103",
    title: "Column dropped",
    category: "destructive",
    defaultSeverity: "error",
    explanation:
      "Dropping a column deletes its values for good, and running code that still names it starts failing. " +
      "Deploy code that no longer uses the column first, back up its values if they may be needed, then drop it.",
    fixExample: "-- after the application stopped reading users.nickname:\nALTER TABLE users DROP COLUMN nickname;",
    firesOn: "ALTER TABLE users DROP COLUMN nickname;",
    passesOn: "ALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE users DROP COLUMN nickname;",
  },
  {
    code: "DM201",
    title: "UPDATE without WHERE",
    category: "destructive",
    defaultSeverity: "warning",
    explanation:
      "An UPDATE without WHERE changes every row of the table in one transaction: it locks them all until the " +
      "migration commits and bloats the table. If a backfill of every row is really meant, do it in batches " +
      "(by key range) so that each transaction stays short, or add a WHERE that says which rows.",
    fixExample: "UPDATE users SET plan = 'free' WHERE plan IS NULL AND id BETWEEN 1 AND 10000;",
    firesOn: "UPDATE users SET plan = 'free';",
    passesOn: "UPDATE users SET plan = 'free' WHERE plan IS NULL;",
  },
  {
    code: "DM202",
    title: "DELETE without WHERE",
    category: "destructive",
    defaultSeverity: "error",
    explanation:
      "A DELETE without WHERE removes every row of the table, which is rarely what a schema change means to do. " +
      "Add a WHERE that selects the rows to remove; if the table really must be emptied, say so explicitly and " +
      "keep a backup.",
    fixExample: "DELETE FROM sessions WHERE expires_at < now() - interval '30 days';",
    firesOn: "DELETE FROM sessions;",
    passesOn: "DELETE FROM sessions WHERE expires_at < now();",
  },
  {
    code: "DM203",
    title: "TRUNCATE",
    category: "destructive",
    defaultSeverity: "error",
    explanation:
      "TRUNCATE removes every row of the table at once, cannot be filtered, takes an ACCESS EXCLUSIVE lock that " +
      "blocks even reads, and with CASCADE empties the tables that reference it too. Use a DELETE with a WHERE, " +
      "or keep the data elsewhere before emptying the table.",
    fixExample: "DELETE FROM import_rows WHERE batch_id = 42;",
    firesOn: "TRUNCATE import_rows;",
    passesOn: "CREATE TABLE import_rows (id bigint PRIMARY KEY);\nTRUNCATE import_rows;",
  },
  // Backward-incompatible
  {
    code: "BC101",
    title: "Table renamed",
    category: "backward-incompatible",
    defaultSeverity: "warning",
    explanation:
      "Renaming a table breaks every running statement that still uses the old name, from the moment the migration " +
      "commits until the new code is deployed. Rename in steps: create a view with the old name (or map the ORM " +
      "model to the new name first), deploy code that uses the new name, then drop the old name.",
    fixExample: "ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;",
    firesOn: "ALTER TABLE users RENAME TO accounts;",
    passesOn: "CREATE TABLE staging_users (id bigint PRIMARY KEY);\nALTER TABLE staging_users RENAME TO new_users;",
  },
  {
    code: "BC102",
    title: "Column renamed",
    category: "backward-incompatible",
    defaultSeverity: "warning",
    explanation:
      "Renaming a column breaks every running statement that still names the old column. Add the new column, " +
      "write to both and backfill, move readers to the new column, and drop the old one in a later change; or " +
      "keep the old name in the database and rename only in the application's mapping.",
    fixExample: "ALTER TABLE users ADD COLUMN full_name text;\n-- backfill, deploy code that uses full_name, then in a later change:\nALTER TABLE users DROP COLUMN name;",
    firesOn: "ALTER TABLE users RENAME COLUMN name TO full_name;",
    passesOn: "CREATE TABLE people (id bigint PRIMARY KEY, name text);\nALTER TABLE people RENAME COLUMN name TO full_name;",
  },
  {
    code: "CD101",
    title: "Constraint dropped",
    category: "other",
    defaultSeverity: "info",
    explanation:
      "Dropping a constraint (a foreign key, check or unique constraint) stops the database from enforcing what it " +
      "guaranteed, so invalid rows can appear from then on. Make sure the application enforces it instead, or " +
      "replace the constraint in the same change.",
    fixExample: "ALTER TABLE orders DROP CONSTRAINT orders_user_fk;\nALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;",
    firesOn: "ALTER TABLE orders DROP CONSTRAINT orders_user_fk;",
    passesOn:
      "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\nALTER TABLE orders DROP CONSTRAINT orders_total_check;",
  },
  // Data-dependent
  {
    code: "MF101",
    title: "Unique index on an existing table",
    category: "data-dependent",
    defaultSeverity: "warning",
    explanation:
      "Adding a unique index or constraint to a table that already has rows fails if the column already holds " +
      "duplicates, which a test database rarely shows. Check for duplicates (and clean them up) before the " +
      "change, and build the index CONCURRENTLY.",
    fixExample:
      "-- SELECT email FROM users GROUP BY email HAVING count(*) > 1;  -- must return nothing\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);",
    firesOn: "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);",
    passesOn: "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
  },
  {
    code: "MF103",
    title: "NOT NULL column without a default added to an existing table",
    category: "data-dependent",
    defaultSeverity: "error",
    explanation:
      "Adding a NOT NULL column without a DEFAULT fails as soon as the table has a row, because existing rows " +
      "would get NULL. Give the column a constant DEFAULT (PostgreSQL 11 and later add it without a rewrite), or " +
      "add it nullable, backfill it, and set NOT NULL afterwards.",
    fixExample: "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';",
    firesOn: "ALTER TABLE users ADD COLUMN plan text NOT NULL;",
    passesOn: "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';",
  },
  {
    code: "MF104",
    title: "Column set NOT NULL",
    category: "data-dependent",
    defaultSeverity: "warning",
    explanation:
      "Setting a column NOT NULL fails if any row still holds NULL in it. Backfill the NULLs first (in batches on a " +
      "large table), and prove there are none with a validated CHECK (column IS NOT NULL) constraint.",
    fixExample:
      "UPDATE users SET plan = 'free' WHERE plan IS NULL;\nALTER TABLE users ADD CONSTRAINT users_plan_not_null CHECK (plan IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_plan_not_null;\nALTER TABLE users ALTER COLUMN plan SET NOT NULL;",
    firesOn: "ALTER TABLE users ALTER COLUMN plan SET NOT NULL;",
    passesOn: "ALTER TABLE users ALTER COLUMN plan DROP NOT NULL;",
  },
  {
    code: "DM501",
    title: "varchar(n) shortened",
    category: "data-dependent",
    defaultSeverity: "warning",
    explanation:
      "Shortening a varchar(n) column rewrites the table under an ACCESS EXCLUSIVE lock and fails if any value is " +
      "longer than the new limit. Lengthening it, or changing it to text, is instant. If a shorter limit is needed, " +
      "add a CHECK (length(column) <= n) NOT VALID constraint and validate it instead. (The linter sees no " +
      "database: it knows the old length only when the column was created in the same migration.)",
    fixExample:
      "ALTER TABLE users ADD CONSTRAINT users_code_length CHECK (length(code) <= 8) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_code_length;",
    firesOn: "ALTER TABLE users ADD COLUMN code varchar(32);\nALTER TABLE users ALTER COLUMN code TYPE varchar(8);",
    passesOn: "ALTER TABLE users ADD COLUMN code varchar(32);\nALTER TABLE users ALTER COLUMN code TYPE varchar(64);",
  },
  // Locking
  {
    code: "PG101",
    title: "CREATE INDEX without CONCURRENTLY",
    category: "locking",
    defaultSeverity: "warning",
    explanation:
      "CREATE INDEX takes a SHARE lock on the table for the whole build, blocking every INSERT, UPDATE and DELETE, " +
      "which on a large table lasts minutes. CREATE INDEX CONCURRENTLY builds it without blocking writes; it cannot " +
      "run inside a transaction block, so dbmesh runs it on its own.",
    fixExample: "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
    firesOn: "CREATE INDEX orders_user_id_idx ON orders (user_id);",
    passesOn: "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
  },
  {
    code: "PG102",
    title: "DROP INDEX without CONCURRENTLY",
    category: "locking",
    defaultSeverity: "warning",
    explanation:
      "DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table, so it waits behind every running query on " +
      "the table and blocks all new ones, reads included, while it waits. DROP INDEX CONCURRENTLY waits for running " +
      "transactions without blocking new ones.",
    fixExample: "DROP INDEX CONCURRENTLY orders_user_id_idx;",
    firesOn: "DROP INDEX orders_user_id_idx;",
    passesOn: "DROP INDEX CONCURRENTLY orders_user_id_idx;",
  },
  {
    code: "PG104",
    title: "PRIMARY KEY added without an existing index",
    category: "locking",
    defaultSeverity: "warning",
    explanation:
      "ADD PRIMARY KEY builds its unique index while holding an ACCESS EXCLUSIVE lock, blocking reads and writes for " +
      "the whole build. Build the unique index CONCURRENTLY first, then add the constraint USING INDEX, which only " +
      "takes the lock briefly.",
    fixExample:
      "CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);\nALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;",
    firesOn: "ALTER TABLE events ADD PRIMARY KEY (id);",
    passesOn: "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;",
  },
  {
    code: "PG105",
    title: "UNIQUE constraint added without an existing index",
    category: "locking",
    defaultSeverity: "warning",
    explanation:
      "ADD UNIQUE builds its index while holding an ACCESS EXCLUSIVE lock, blocking reads and writes for the whole " +
      "build. Build the unique index CONCURRENTLY first, then add the constraint USING INDEX.",
    fixExample:
      "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
    firesOn: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
    passesOn: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
  },
  {
    code: "DM101",
    title: "Foreign key added without NOT VALID",
    category: "locking",
    defaultSeverity: "warning",
    explanation:
      "Adding a foreign key checks every existing row while holding a SHARE ROW EXCLUSIVE lock on both tables, " +
      "blocking their writes for the whole scan. Add it NOT VALID (new rows are checked at once, the lock is brief), " +
      "then VALIDATE CONSTRAINT, which scans without blocking writes.",
    fixExample:
      "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;",
    firesOn: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
    passesOn: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
  },
  {
    code: "DM102",
    title: "LOCK TABLE",
    category: "locking",
    defaultSeverity: "warning",
    explanation:
      "An explicit LOCK TABLE (ACCESS EXCLUSIVE unless a mode is given) blocks other sessions until the migration's " +
      "transaction ends, and a migration that waits for it can itself block everyone queued behind. Let each " +
      "statement take the lock it needs; dbmesh applies lock_timeout and retries.",
    fixExample: "-- no explicit lock: ALTER TABLE takes what it needs, bounded by lock_timeout\nALTER TABLE orders ADD COLUMN note text;",
    firesOn: "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;",
    passesOn: "SELECT count(*) FROM orders;",
  },
  {
    code: "DM104",
    title: "REINDEX without CONCURRENTLY",
    category: "locking",
    defaultSeverity: "warning",
    explanation:
      "REINDEX locks out writes to the table (and reads that would use the index) for the whole rebuild. " +
      "REINDEX … CONCURRENTLY (PostgreSQL 12 and later) rebuilds without blocking; it cannot run in a transaction " +
      "block, so dbmesh runs it on its own.",
    fixExample: "REINDEX INDEX CONCURRENTLY orders_user_id_idx;",
    firesOn: "REINDEX INDEX orders_user_id_idx;",
    passesOn: "REINDEX INDEX CONCURRENTLY orders_user_id_idx;",
  },
  {
    code: "DM105",
    title: "Column added with an inline UNIQUE or PRIMARY KEY",
    category: "locking",
    defaultSeverity: "warning",
    explanation:
      "ADD COLUMN … UNIQUE (or PRIMARY KEY) on an existing table builds the index under the ACCESS EXCLUSIVE lock of " +
      "the ALTER TABLE, blocking reads and writes for the whole build. Add the column alone, build a unique index " +
      "CONCURRENTLY, then attach it with ADD CONSTRAINT … USING INDEX.",
    fixExample:
      "ALTER TABLE users ADD COLUMN handle text;\nCREATE UNIQUE INDEX CONCURRENTLY users_handle_key ON users (handle);\nALTER TABLE users ADD CONSTRAINT users_handle_key UNIQUE USING INDEX users_handle_key;",
    firesOn: "ALTER TABLE users ADD COLUMN handle text UNIQUE;",
    passesOn: "ALTER TABLE users ADD COLUMN handle text;",
  },
  {
    code: "DM106",
    title: "REFRESH MATERIALIZED VIEW without CONCURRENTLY",
    category: "locking",
    defaultSeverity: "warning",
    explanation:
      "A plain REFRESH MATERIALIZED VIEW holds an ACCESS EXCLUSIVE lock on the view while it recomputes it, so every " +
      "query reading the view waits. REFRESH MATERIALIZED VIEW CONCURRENTLY keeps the view readable; it needs a " +
      "unique index on the view.",
    fixExample: "CREATE UNIQUE INDEX CONCURRENTLY daily_totals_day_key ON daily_totals (day);\nREFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;",
    firesOn: "REFRESH MATERIALIZED VIEW daily_totals;",
    passesOn: "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;",
  },
  {
    code: "DM108",
    title: "Migration changes lock_timeout or statement_timeout",
    category: "locking",
    defaultSeverity: "warning",
    explanation:
      "dbmesh applies each stage with a lock_timeout and a statement_timeout, so that a statement waiting for a lock " +
      "gives up (and is retried) instead of queueing every other session behind it. A SET or RESET of these in the " +
      "migration replaces those limits, up to disabling them. Leave them to the rollout settings of the environment.",
    fixExample: "-- no SET: the stage's lock_timeout and statement_timeout apply\nALTER TABLE orders ADD COLUMN note text;",
    firesOn: "SET lock_timeout = 0;",
    passesOn: "SET search_path TO app, public;",
  },
  // Rewrites and full scans
  {
    code: "PG301",
    title: "Column type changed",
    category: "rewrite",
    defaultSeverity: "warning",
    explanation:
      "Changing a column's type rewrites the whole table and its indexes under an ACCESS EXCLUSIVE lock, blocking " +
      "reads and writes for the duration; only a few changes (lengthening a varchar, varchar to text) avoid it. " +
      "Add a new column of the new type, backfill it in batches, switch the application, then drop the old column.",
    fixExample:
      "ALTER TABLE events ADD COLUMN payload_v2 jsonb;\n-- backfill in batches, switch readers, then in a later change:\nALTER TABLE events DROP COLUMN payload;",
    firesOn: "ALTER TABLE events ALTER COLUMN id TYPE bigint;",
    passesOn: "CREATE TABLE events (id integer PRIMARY KEY);\nALTER TABLE events ALTER COLUMN id TYPE bigint;",
  },
  {
    code: "PG302",
    title: "Column added with a volatile DEFAULT",
    category: "rewrite",
    defaultSeverity: "warning",
    explanation:
      "A constant DEFAULT is stored once and costs nothing, but a volatile one (random(), gen_random_uuid(), " +
      "clock_timestamp(), nextval(), a serial or identity column, a stored generated column) must be computed for " +
      "every existing row: the table is rewritten under an ACCESS EXCLUSIVE lock. Add the column without the " +
      "default (or with a constant one), backfill in batches, then SET DEFAULT for new rows.",
    fixExample:
      "ALTER TABLE users ADD COLUMN token uuid;\nALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();\n-- backfill existing rows in batches",
    firesOn: "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
    passesOn: "ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();",
  },
  {
    code: "PG303",
    title: "SET NOT NULL scans the table",
    category: "rewrite",
    defaultSeverity: "warning",
    explanation:
      "SET NOT NULL scans the whole table to check for NULLs while holding an ACCESS EXCLUSIVE lock. Add a " +
      "CHECK (column IS NOT NULL) NOT VALID constraint, VALIDATE it (which does not block writes), and then " +
      "SET NOT NULL: PostgreSQL 12 and later skip the scan when such a validated check exists.",
    fixExample:
      "ALTER TABLE users ADD CONSTRAINT users_plan_not_null CHECK (plan IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_plan_not_null;\nALTER TABLE users ALTER COLUMN plan SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_plan_not_null;",
    firesOn: "ALTER TABLE users ALTER COLUMN plan SET NOT NULL;",
    passesOn:
      "ALTER TABLE users ADD CONSTRAINT users_plan_not_null CHECK (plan IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_plan_not_null;\nALTER TABLE users ALTER COLUMN plan SET NOT NULL;",
  },
  {
    code: "PG304",
    title: "PRIMARY KEY sets its columns NOT NULL",
    category: "rewrite",
    defaultSeverity: "info",
    explanation:
      "Adding a primary key makes its columns NOT NULL; any column that is still nullable is checked by a full scan " +
      "under an ACCESS EXCLUSIVE lock. Make the columns NOT NULL first the cheap way (a validated CHECK (column IS " +
      "NOT NULL) constraint, then SET NOT NULL), or ignore this if they already are.",
    fixExample:
      "ALTER TABLE events ADD CONSTRAINT events_id_not_null CHECK (id IS NOT NULL) NOT VALID;\nALTER TABLE events VALIDATE CONSTRAINT events_id_not_null;\nALTER TABLE events ALTER COLUMN id SET NOT NULL;\nALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;",
    firesOn: "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;",
    passesOn:
      "CREATE TABLE events (id bigint NOT NULL);\nALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id);",
  },
  {
    code: "PG305",
    title: "CHECK constraint added without NOT VALID",
    category: "rewrite",
    defaultSeverity: "warning",
    explanation:
      "Adding a CHECK constraint scans every row to verify it while holding an ACCESS EXCLUSIVE lock. Add it NOT " +
      "VALID (new rows are checked at once), then VALIDATE CONSTRAINT, which scans with a lock that does not block " +
      "reads or writes.",
    fixExample:
      "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;",
    firesOn: "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);",
    passesOn: "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;",
  },
  {
    code: "DM103",
    title: "VACUUM FULL or CLUSTER",
    category: "rewrite",
    defaultSeverity: "warning",
    explanation:
      "VACUUM FULL and CLUSTER rewrite the whole table under an ACCESS EXCLUSIVE lock, blocking reads and writes " +
      "until they finish, and need room for a second copy of it. Plain VACUUM (or pg_repack, which works online) " +
      "reclaims space without that lock.",
    fixExample: "VACUUM (ANALYZE) orders;",
    firesOn: "VACUUM FULL orders;",
    passesOn: "VACUUM (ANALYZE) orders;",
  },
  {
    code: "DM107",
    title: "ALTER TABLE that rewrites the table",
    category: "rewrite",
    defaultSeverity: "warning",
    explanation:
      "SET LOGGED, SET UNLOGGED, SET TABLESPACE and SET ACCESS METHOD copy the whole table while holding an " +
      "ACCESS EXCLUSIVE lock, blocking reads and writes until the copy is done. Run " +
      "them in a maintenance window, or move the data online with logical replication or pg_repack.",
    fixExample: "-- in a maintenance window, as a change request of its own:\nALTER TABLE events SET TABLESPACE fast_ssd;",
    firesOn: "ALTER TABLE events SET TABLESPACE fast_ssd;",
    passesOn: "ALTER TABLE events SET (fillfactor = 90);",
  },
  // Transactions
  {
    code: "PG103",
    title: "Statement that cannot run in a transaction, mixed with others",
    category: "transaction",
    defaultSeverity: "warning",
    explanation:
      "Statements such as CREATE INDEX CONCURRENTLY or VACUUM cannot run inside a transaction block, so dbmesh runs " +
      "them on their own, outside the transaction that holds the rest of the migration. The migration is then no " +
      "longer all-or-nothing: if a later statement fails, what ran before stays applied. Put such statements in a " +
      "change request of their own.",
    fixExample: "-- a change request of its own, after the one that adds the column:\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
    firesOn: "ALTER TABLE orders ADD COLUMN user_id bigint;\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
    passesOn: "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
  },
  {
    code: "DM301",
    title: "Statement that cannot run in a transaction, inside BEGIN … COMMIT",
    category: "transaction",
    defaultSeverity: "error",
    explanation:
      "PostgreSQL refuses CREATE INDEX CONCURRENTLY, VACUUM, CREATE DATABASE and similar statements inside a " +
      "transaction block, so this migration fails when it reaches it. Take the statement out of the BEGIN … COMMIT " +
      "block (dbmesh runs it on its own).",
    fixExample: "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
    firesOn: "BEGIN;\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);\nCOMMIT;",
    passesOn: "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
  },
  {
    code: "DM302",
    title: "Transaction control in a migration",
    category: "transaction",
    defaultSeverity: "error",
    explanation:
      "dbmesh runs a migration's transactional statements in one transaction of its own (and rolls it back after a " +
      "dry run). A BEGIN, COMMIT, ROLLBACK or SAVEPOINT in the text would end or nest that transaction: a COMMIT " +
      "makes part of a dry run permanent and breaks the all-or-nothing rollout. Remove them.",
    fixExample: "ALTER TABLE orders ADD COLUMN note text;",
    firesOn: "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
    passesOn: "ALTER TABLE orders ADD COLUMN note text;",
  },
  {
    code: "DM303",
    title: "Enum value added and used in the same migration",
    category: "transaction",
    defaultSeverity: "warning",
    explanation:
      "ALTER TYPE … ADD VALUE runs inside the migration's transaction, and PostgreSQL refuses to use the new value " +
      "until that transaction commits (unsafe use of new value), so a later statement that stores or compares it " +
      "fails. Add the value in a change request of its own, then use it in the next one.",
    fixExample: "-- a change request of its own; use the new value in the next one, once this is applied:\nALTER TYPE order_status ADD VALUE 'refunded';",
    firesOn: "ALTER TYPE order_status ADD VALUE 'refunded';\nUPDATE orders SET status = 'refunded' WHERE refund_id IS NOT NULL;",
    passesOn: "ALTER TYPE order_status ADD VALUE 'refunded';\nUPDATE orders SET note = 'checked' WHERE refund_id IS NOT NULL;",
  },
  // Types and table design
  {
    code: "DM401",
    title: "Table without a primary key",
    category: "naming-and-types",
    defaultSeverity: "warning",
    explanation:
      "A table without a primary key cannot be replicated logically for UPDATE and DELETE, lets duplicate rows in, " +
      "and gives ORMs and tools nothing to address a row by. Declare a primary key, for example a bigint identity " +
      "column.",
    fixExample: "CREATE TABLE audit_entries (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text);",
    firesOn: "CREATE TABLE audit_entries (id bigint, body text);",
    passesOn: "CREATE TABLE audit_entries (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text);",
  },
  {
    code: "DM402",
    title: "serial instead of identity",
    category: "naming-and-types",
    defaultSeverity: "warning",
    explanation:
      "serial and bigserial create a sequence the column only borrows: its permissions, ownership and copying with " +
      "CREATE TABLE LIKE behave surprisingly, and serial (int4) runs out at 2^31. Use a bigint GENERATED ALWAYS AS " +
      "IDENTITY column, the SQL-standard form.",
    fixExample: "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    firesOn: "CREATE TABLE orders (id bigserial PRIMARY KEY);",
    passesOn: "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
  },
  {
    code: "DM403",
    title: "json instead of jsonb",
    category: "naming-and-types",
    defaultSeverity: "warning",
    explanation:
      "json stores the text as given and reparses it on every access; it cannot be indexed with GIN nor compared " +
      "for equality. jsonb is stored parsed, is faster to query, supports indexing and containment operators. Use " +
      "jsonb unless key order or duplicate keys must be kept.",
    fixExample: "CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb);",
    firesOn: "CREATE TABLE events (id bigint PRIMARY KEY, payload json);",
    passesOn: "CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb);",
  },
  {
    code: "DM404",
    title: "timestamp without time zone",
    category: "naming-and-types",
    defaultSeverity: "warning",
    explanation:
      "timestamp (without time zone) stores a wall-clock reading with no zone, so the same instant reads " +
      "differently depending on who wrote it, and daylight-saving changes make values ambiguous. Use timestamptz, " +
      "which stores an absolute instant and converts to the session's time zone on output.",
    fixExample: "ALTER TABLE orders ADD COLUMN shipped_at timestamptz;",
    firesOn: "ALTER TABLE orders ADD COLUMN shipped_at timestamp;",
    passesOn: "ALTER TABLE orders ADD COLUMN shipped_at timestamptz;",
  },
  {
    code: "DM405",
    title: "Name that must always be double-quoted",
    category: "naming-and-types",
    defaultSeverity: "info",
    explanation:
      "PostgreSQL folds unquoted names to lower case, so a table or column named with upper-case letters, spaces or a " +
      "reserved word such as user or order can only be reached by double-quoting it, in every query, forever. " +
      "Forgetting the quotes gives a confusing does-not-exist error. Use lower-case snake_case names and let the ORM " +
      "map them.",
    fixExample: "CREATE TABLE user_accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, created_at timestamptz);",
    firesOn: 'CREATE TABLE "UserAccounts" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "createdAt" timestamptz);',
    passesOn: "CREATE TABLE user_accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, created_at timestamptz);",
  },
  {
    code: "PG110",
    title: "Columns ordered with needless padding",
    category: "naming-and-types",
    defaultSeverity: "info",
    explanation:
      "PostgreSQL aligns fixed-width values (bigint and timestamptz on 8 bytes, integer on 4…) in column order, so " +
      "a small column before a wide one leaves padding in every row. Declaring fixed-width columns from the widest " +
      "to the narrowest, variable-width ones last, makes every row smaller. This only matters for large tables.",
    fixExample: "CREATE TABLE accounts (id bigint PRIMARY KEY, balance integer, age smallint, premium boolean);",
    firesOn: "CREATE TABLE accounts (premium boolean, id bigint PRIMARY KEY, age smallint, balance bigint);",
    passesOn: "CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint, age smallint, premium boolean);",
  },
] satisfies LintRuleInfo[]);

export const RULES_BY_CODE: ReadonlyMap<string, LintRuleInfo> = new Map(LINT_RULES.map((r) => [r.code, r]));

/** Every rule on, at its default severity: the starting point of an SQL review policy. */
export function defaultLintPolicy(): LintPolicy {
  return Object.fromEntries(LINT_RULES.map((r) => [r.code, { enabled: true, severity: r.defaultSeverity }]));
}
