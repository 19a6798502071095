-- CreateTable (partitioned by day: hand-written, Prisma sees only the parent)
CREATE TABLE "sql_audit_event" (
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "event_id" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "agent_id" TEXT NOT NULL,
    "agent_name" TEXT NOT NULL,
    "virtual_database" TEXT NOT NULL,
    "credential" TEXT NOT NULL,
    "client_address" TEXT,
    "application_name" TEXT,
    "statement" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "tables" JSONB NOT NULL DEFAULT '[]',
    "decision" TEXT NOT NULL,
    "rule" TEXT,
    "backend" TEXT,
    "duration_us" BIGINT,
    "row_count" BIGINT,
    "sqlstate" TEXT,
    CONSTRAINT "sql_audit_event_pkey" PRIMARY KEY ("occurred_at","event_id")
) PARTITION BY RANGE ("occurred_at");

-- CreateIndex
CREATE INDEX "sql_audit_event_virtual_database_occurred_at_idx" ON "sql_audit_event"("virtual_database", "occurred_at");
CREATE INDEX "sql_audit_event_credential_occurred_at_idx" ON "sql_audit_event"("credential", "occurred_at");
CREATE INDEX "sql_audit_event_decision_occurred_at_idx" ON "sql_audit_event"("decision", "occurred_at");
CREATE INDEX "sql_audit_event_fingerprint_occurred_at_idx" ON "sql_audit_event"("fingerprint", "occurred_at");

-- Rows whose day has no partition (clock skew, a late spool) land here instead of failing.
CREATE TABLE "sql_audit_event_default" PARTITION OF "sql_audit_event" DEFAULT;

-- One partition per UTC day, named sql_audit_event_pYYYYMMDD. Creating one fails while the
-- default partition holds rows of that day; such days are skipped (and reported) rather than
-- failing the whole call: their rows stay searchable in the default partition.
CREATE FUNCTION sql_audit_ensure_partitions(days_back INT, days_ahead INT)
RETURNS TABLE (partition TEXT, outcome TEXT) LANGUAGE plpgsql AS $$
DECLARE d DATE; name TEXT;
BEGIN
  FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - days_back, (now() AT TIME ZONE 'UTC')::date + days_ahead, interval '1 day')::date LOOP
    name := 'sql_audit_event_p' || to_char(d, 'YYYYMMDD');
    IF to_regclass(name) IS NOT NULL THEN CONTINUE; END IF;
    BEGIN
      EXECUTE format('CREATE TABLE %I PARTITION OF sql_audit_event FOR VALUES FROM (%L) TO (%L)',
        name, (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
      partition := name; outcome := 'created'; RETURN NEXT;
    EXCEPTION WHEN check_violation OR invalid_object_definition THEN
      partition := name; outcome := 'skipped: ' || SQLERRM; RETURN NEXT;
    END;
  END LOOP;
END $$;

-- Drops whole days older than the retention period (and the default partition's old rows).
CREATE FUNCTION sql_audit_drop_expired(retention_days INT)
RETURNS TABLE (partition TEXT, outcome TEXT) LANGUAGE plpgsql AS $$
DECLARE r RECORD; cutoff DATE := (now() AT TIME ZONE 'UTC')::date - retention_days;
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
  DELETE FROM sql_audit_event_default WHERE occurred_at < (cutoff::timestamp AT TIME ZONE 'UTC');
END $$;

SELECT * FROM sql_audit_ensure_partitions(1, 7);
