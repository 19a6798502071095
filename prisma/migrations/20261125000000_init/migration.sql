-- CreateEnum
CREATE TYPE "Role" AS ENUM ('ADMIN', 'DBA', 'DEVELOPER', 'AUDITOR');
CREATE TYPE "Protocol" AS ENUM ('POSTGRESQL', 'MYSQL');
CREATE TYPE "EndpointRole" AS ENUM ('PRIMARY', 'REPLICA');
CREATE TYPE "RuleEffect" AS ENUM ('ALLOW', 'DENY');

-- CreateTable
CREATE TABLE "app_user" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "password_hash" TEXT NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "totp_secret_enc" TEXT,
    "totp_enabled" BOOLEAN NOT NULL DEFAULT false,
    "last_login_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "app_user_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "session" (
    "id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "mfa_passed" BOOLEAN NOT NULL DEFAULT false,
    "ip" TEXT,
    "user_agent" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "session_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "login_attempt" (
    "id" BIGSERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "ip" TEXT NOT NULL,
    "success" BOOLEAN NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "login_attempt_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "api_token" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "api_token_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "environment" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "production" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "environment_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "database_endpoint" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "environment_id" TEXT NOT NULL,
    "protocol" "Protocol" NOT NULL DEFAULT 'POSTGRESQL',
    "host" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "database" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "password_enc" TEXT,
    "role" "EndpointRole" NOT NULL DEFAULT 'PRIMARY',
    "weight" INTEGER NOT NULL DEFAULT 1,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "database_endpoint_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "traffic_strategy" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "load_balance" TEXT NOT NULL,
    "read_write_splitting" JSONB NOT NULL,
    "connection_pool" JSONB NOT NULL,
    "circuit_breaks" JSONB NOT NULL DEFAULT '[]',
    "concurrency_controls" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "traffic_strategy_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "virtual_database" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "environment_id" TEXT NOT NULL,
    "traffic_strategy_id" TEXT,
    "backend_selector" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "virtual_database_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "virtual_database_backend" (
    "virtual_database_id" TEXT NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    CONSTRAINT "virtual_database_backend_pkey" PRIMARY KEY ("virtual_database_id","endpoint_id")
);

CREATE TABLE "access_rule" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "virtual_database_id" TEXT NOT NULL,
    "credential" TEXT,
    "operations" TEXT[],
    "tables" TEXT[],
    "effect" "RuleEffect" NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "access_rule_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "mesh_state" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "revision" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "mesh_state_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "audit_event" (
    "id" BIGSERIAL NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_id" TEXT,
    "actor_email" TEXT,
    "actor_kind" TEXT NOT NULL,
    "ip" TEXT,
    "action" TEXT NOT NULL,
    "object_type" TEXT NOT NULL,
    "object_id" TEXT,
    "object_name" TEXT,
    "before" JSONB,
    "after" JSONB,
    "prev_hash" TEXT NOT NULL DEFAULT '',
    "hash" TEXT NOT NULL DEFAULT '',
    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "app_user_email_key" ON "app_user"("email");
CREATE UNIQUE INDEX "session_token_hash_key" ON "session"("token_hash");
CREATE INDEX "session_user_id_idx" ON "session"("user_id");
CREATE INDEX "login_attempt_email_created_at_idx" ON "login_attempt"("email", "created_at");
CREATE INDEX "login_attempt_ip_created_at_idx" ON "login_attempt"("ip", "created_at");
CREATE UNIQUE INDEX "api_token_token_hash_key" ON "api_token"("token_hash");
CREATE INDEX "api_token_user_id_idx" ON "api_token"("user_id");
CREATE UNIQUE INDEX "environment_name_key" ON "environment"("name");
CREATE UNIQUE INDEX "database_endpoint_name_key" ON "database_endpoint"("name");
CREATE UNIQUE INDEX "traffic_strategy_name_key" ON "traffic_strategy"("name");
CREATE UNIQUE INDEX "virtual_database_name_key" ON "virtual_database"("name");
CREATE INDEX "virtual_database_backend_endpoint_id_idx" ON "virtual_database_backend"("endpoint_id");
CREATE UNIQUE INDEX "access_rule_name_key" ON "access_rule"("name");
CREATE INDEX "access_rule_virtual_database_id_idx" ON "access_rule"("virtual_database_id");
CREATE INDEX "audit_event_actor_id_id_idx" ON "audit_event"("actor_id", "id");
CREATE INDEX "audit_event_action_id_idx" ON "audit_event"("action", "id");
CREATE INDEX "audit_event_object_type_id_idx" ON "audit_event"("object_type", "id");
CREATE INDEX "audit_event_created_at_idx" ON "audit_event"("created_at");

-- AddForeignKey
ALTER TABLE "session" ADD CONSTRAINT "session_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "database_endpoint" ADD CONSTRAINT "database_endpoint_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "environment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "virtual_database" ADD CONSTRAINT "virtual_database_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "environment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "virtual_database" ADD CONSTRAINT "virtual_database_traffic_strategy_id_fkey" FOREIGN KEY ("traffic_strategy_id") REFERENCES "traffic_strategy"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "virtual_database_backend" ADD CONSTRAINT "virtual_database_backend_virtual_database_id_fkey" FOREIGN KEY ("virtual_database_id") REFERENCES "virtual_database"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "virtual_database_backend" ADD CONSTRAINT "virtual_database_backend_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "database_endpoint"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "access_rule" ADD CONSTRAINT "access_rule_virtual_database_id_fkey" FOREIGN KEY ("virtual_database_id") REFERENCES "virtual_database"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Hand-written: what Prisma cannot express.

-- The single mesh_state row; bump_mesh_revision() is called in every mesh mutation's
-- transaction. The NOTIFY is delivered at commit, so waiting agents never see a rolled-back bump.
INSERT INTO "mesh_state" ("id", "revision") VALUES (1, 0);
ALTER TABLE "mesh_state" ADD CONSTRAINT "mesh_state_single_row" CHECK ("id" = 1);

CREATE FUNCTION bump_mesh_revision() RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE rev BIGINT;
BEGIN
  UPDATE mesh_state SET revision = revision + 1, updated_at = now() WHERE id = 1 RETURNING revision INTO rev;
  PERFORM pg_notify('dbmesh_mesh_revision', rev::text);
  RETURN rev;
END $$;

-- audit_event is append-only.
CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON "audit_event"
  FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON "audit_event"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();

-- The text a row's hash covers: every column but the hash itself, each quoted so that NULL and ''
-- and a '|' inside a value cannot be confused.
CREATE FUNCTION audit_event_payload(e audit_event) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT concat_ws('|',
    e.id::text,
    quote_nullable(to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
    quote_nullable(e.actor_id), quote_nullable(e.actor_email), quote_nullable(e.actor_kind),
    quote_nullable(e.ip), quote_nullable(e.action), quote_nullable(e.object_type),
    quote_nullable(e.object_id), quote_nullable(e.object_name),
    quote_nullable(e.before::text), quote_nullable(e.after::text), quote_nullable(e.prev_hash))
$$;

-- Chains each new row to the last committed one. The id is drawn after the lock is taken, so ids
-- follow commit order and the chain can be verified by walking ids in order.
CREATE FUNCTION audit_event_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE prev TEXT;
BEGIN
  PERFORM pg_advisory_xact_lock(4242001);
  NEW.id := nextval(pg_get_serial_sequence('audit_event', 'id'));
  SELECT hash INTO prev FROM audit_event ORDER BY id DESC LIMIT 1;
  NEW.prev_hash := COALESCE(prev, '');
  NEW.hash := encode(sha256(convert_to(audit_event_payload(NEW), 'UTF8')), 'hex');
  RETURN NEW;
END $$;

CREATE TRIGGER audit_event_hash_chain BEFORE INSERT ON "audit_event"
  FOR EACH ROW EXECUTE FUNCTION audit_event_chain();

-- Walks the chain; returns one row per broken link (none when the log is intact).
CREATE FUNCTION audit_verify_chain() RETURNS TABLE (event_id BIGINT, problem TEXT) LANGUAGE plpgsql STABLE AS $$
DECLARE r audit_event; expected_prev TEXT := '';
BEGIN
  FOR r IN SELECT * FROM audit_event ORDER BY id LOOP
    IF r.prev_hash IS DISTINCT FROM expected_prev THEN
      event_id := r.id; problem := 'prev_hash does not match the previous row''s hash'; RETURN NEXT;
    END IF;
    IF r.hash IS DISTINCT FROM encode(sha256(convert_to(audit_event_payload(r), 'UTF8')), 'hex') THEN
      event_id := r.id; problem := 'hash does not match the row''s content'; RETURN NEXT;
    END IF;
    expected_prev := r.hash;
  END LOOP;
END $$;
