-- Auditors ask "who touched table X" and "which statements mention Y" over millions of rows. With only
-- B-tree indexes such a filter walks the primary key backwards until it finds 50 matches, which for a
-- rare table or text means reading every row (seconds at 10 million rows). A GIN index answers the
-- containment test on `tables` and a trigram index answers the substring test on `statement`; the
-- planner still prefers the primary key walk when matches are common.
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX "sql_audit_event_tables_idx" ON "sql_audit_event" USING GIN ("tables" jsonb_path_ops);
CREATE INDEX "sql_audit_event_statement_trgm_idx" ON "sql_audit_event" USING GIN ("statement" gin_trgm_ops);

-- The chart (statements per minute) and the fingerprint groups aggregate every row of their range:
-- at 10 million rows a day that is seconds. Two rollups, kept by a statement-level trigger in the
-- same transaction as the insert (so they can never disagree with the rows, and a resent batch whose
-- rows are skipped by ON CONFLICT DO NOTHING adds nothing), answer the whole minutes and hours of a
-- range; the service reads raw rows only for the partial minute/hour at each edge.
CREATE TABLE "sql_audit_minute" (
    "minute" TIMESTAMPTZ(3) NOT NULL,
    "virtual_database" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "total" BIGINT NOT NULL,
    CONSTRAINT "sql_audit_minute_pkey" PRIMARY KEY ("minute", "virtual_database", "decision")
);

CREATE TABLE "sql_audit_fingerprint_hour" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "virtual_database" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "total" BIGINT NOT NULL,
    "duration_sum_us" BIGINT NOT NULL,
    "duration_count" BIGINT NOT NULL,
    "last_seen" TIMESTAMPTZ(3) NOT NULL,
    -- The least statement text of the group, as min(statement) over the raw rows gives.
    "sample" TEXT NOT NULL,
    CONSTRAINT "sql_audit_fingerprint_hour_pkey" PRIMARY KEY ("hour", "virtual_database", "fingerprint", "decision")
);
CREATE INDEX "sql_audit_fingerprint_hour_fingerprint_idx" ON "sql_audit_fingerprint_hour"("fingerprint", "hour");

CREATE FUNCTION sql_audit_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Sorted so that concurrent batches lock rollup rows in one order (no deadlocks).
  INSERT INTO sql_audit_minute AS m (minute, virtual_database, decision, total)
  SELECT date_trunc('minute', occurred_at), virtual_database, decision, count(*)
  FROM inserted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (minute, virtual_database, decision) DO UPDATE SET total = m.total + EXCLUDED.total;

  INSERT INTO sql_audit_fingerprint_hour AS h
    (hour, virtual_database, fingerprint, decision, total, duration_sum_us, duration_count, last_seen, sample)
  SELECT date_trunc('hour', occurred_at), virtual_database, fingerprint, decision, count(*),
         coalesce(sum(duration_us), 0), count(duration_us), max(occurred_at), min(statement)
  FROM inserted GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (hour, virtual_database, fingerprint, decision) DO UPDATE SET
    total = h.total + EXCLUDED.total,
    duration_sum_us = h.duration_sum_us + EXCLUDED.duration_sum_us,
    duration_count = h.duration_count + EXCLUDED.duration_count,
    last_seen = greatest(h.last_seen, EXCLUDED.last_seen),
    sample = least(h.sample, EXCLUDED.sample);
  RETURN NULL;
END $$;

CREATE TRIGGER sql_audit_event_rollup AFTER INSERT ON "sql_audit_event"
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION sql_audit_rollup();

-- Retention drops whole days of rows; the rollups of those days go with them.
CREATE OR REPLACE FUNCTION sql_audit_drop_expired(retention_days INT)
RETURNS TABLE (partition TEXT, outcome TEXT) LANGUAGE plpgsql AS $$
DECLARE r RECORD; cutoff DATE := (now() AT TIME ZONE 'UTC')::date - retention_days;
  cutoff_at TIMESTAMPTZ := (cutoff::timestamp AT TIME ZONE 'UTC');
BEGIN
  FOR r IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'sql_audit_event'::regclass AND c.relname ~ '^sql_audit_event_p[0-9]{8}$'
      AND to_date(substring(c.relname FROM '[0-9]{8}$'), 'YYYYMMDD') < cutoff
    ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE %I', r.relname);
    partition := r.relname; outcome := 'dropped'; RETURN NEXT;
  END LOOP;
  DELETE FROM sql_audit_event_default WHERE occurred_at < cutoff_at;
  DELETE FROM sql_audit_minute WHERE minute < cutoff_at;
  DELETE FROM sql_audit_fingerprint_hour WHERE hour < cutoff_at;
END $$;
