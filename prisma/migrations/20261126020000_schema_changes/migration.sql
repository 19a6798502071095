-- Schema pipeline: change requests, their versions, checks, reviews, rollout stages, history,
-- snapshots, drift and the per-environment SQL review policy.

-- AlterTable
ALTER TABLE "environment" ADD COLUMN "stage" INTEGER NOT NULL DEFAULT 0;
-- Existing installs get the usual order; new environments choose theirs.
UPDATE "environment" SET "stage" = CASE "name" WHEN 'dev' THEN 10 WHEN 'staging' THEN 20 WHEN 'prod' THEN 30 ELSE CASE WHEN "production" THEN 30 ELSE 0 END END;

-- CreateEnum
CREATE TYPE "ChangeStatus" AS ENUM ('OPEN', 'CHANGES_REQUESTED', 'ROLLING_OUT', 'DONE', 'FAILED', 'CLOSED');
CREATE TYPE "ChecksStatus" AS ENUM ('PENDING', 'RUNNING', 'DONE', 'FAILED');
CREATE TYPE "StageStatus" AS ENUM ('PENDING', 'SCHEDULED', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');
CREATE TYPE "StageKind" AS ENUM ('APPLY', 'ROLLBACK');
CREATE TYPE "ReviewKind" AS ENUM ('APPROVE', 'REQUEST_CHANGES', 'COMMENT');

-- CreateTable
CREATE TABLE "change_request" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "virtual_database_id" TEXT,
    "virtual_database_name" TEXT,
    "endpoint_ids" TEXT[],
    "author_id" TEXT NOT NULL,
    "author_email" TEXT NOT NULL,
    "status" "ChangeStatus" NOT NULL DEFAULT 'OPEN',
    "current_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "change_request_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "change_version" (
    "id" TEXT NOT NULL,
    "change_request_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "sql" TEXT NOT NULL,
    "rollback_sql" TEXT,
    "created_by_id" TEXT NOT NULL,
    "created_by_email" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checks_status" "ChecksStatus" NOT NULL DEFAULT 'PENDING',
    "checks_started_at" TIMESTAMPTZ(3),
    "checks_finished_at" TIMESTAMPTZ(3),
    "checks_error" TEXT,
    "error_count" INTEGER NOT NULL DEFAULT 0,
    "warning_count" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "change_version_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "change_check" (
    "id" TEXT NOT NULL,
    "version_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "endpoint_name" TEXT NOT NULL,
    "environment_id" TEXT NOT NULL,
    "environment_name" TEXT NOT NULL,
    "lint" JSONB NOT NULL,
    "dry_run" JSONB NOT NULL,
    "schema_before" TEXT NOT NULL DEFAULT '',
    "schema_after" TEXT NOT NULL DEFAULT '',
    "error_count" INTEGER NOT NULL DEFAULT 0,
    "warning_count" INTEGER NOT NULL DEFAULT 0,
    "duration_ms" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "change_check_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "change_review" (
    "id" TEXT NOT NULL,
    "change_request_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "user_id" TEXT NOT NULL,
    "user_email" TEXT NOT NULL,
    "user_role" TEXT NOT NULL,
    "kind" "ReviewKind" NOT NULL,
    "body" TEXT NOT NULL DEFAULT '',
    "acknowledgement" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "change_review_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "change_stage" (
    "id" TEXT NOT NULL,
    "change_request_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "kind" "StageKind" NOT NULL DEFAULT 'APPLY',
    "position" INTEGER NOT NULL,
    "environment_id" TEXT NOT NULL,
    "environment_name" TEXT NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "endpoint_name" TEXT NOT NULL,
    "status" "StageStatus" NOT NULL DEFAULT 'PENDING',
    "scheduled_at" TIMESTAMPTZ(3),
    "queued_at" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "requested_by_id" TEXT,
    "requested_by_email" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lock_timeout_ms" INTEGER NOT NULL DEFAULT 5000,
    "statement_timeout_ms" INTEGER NOT NULL DEFAULT 600000,
    "lock_retries" INTEGER NOT NULL DEFAULT 3,
    "retry_backoff_ms" INTEGER NOT NULL DEFAULT 2000,
    "error" TEXT,
    "output" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "change_stage_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "schema_change_history" (
    "id" BIGSERIAL NOT NULL,
    "stage_id" TEXT NOT NULL,
    "change_request_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "kind" "StageKind" NOT NULL,
    "virtual_database_id" TEXT,
    "environment_name" TEXT NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "endpoint_name" TEXT NOT NULL,
    "statement_index" INTEGER NOT NULL,
    "statement_hash" TEXT NOT NULL,
    "statement" TEXT NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL,
    "applied_by" TEXT NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "row_count" INTEGER,
    CONSTRAINT "schema_change_history_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "schema_snapshot" (
    "id" TEXT NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "endpoint_name" TEXT NOT NULL,
    "stage_id" TEXT,
    "change_request_id" TEXT,
    "schema" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "schema_snapshot_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "schema_drift" (
    "id" TEXT NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "endpoint_name" TEXT NOT NULL,
    "snapshot_id" TEXT NOT NULL,
    "diff" TEXT NOT NULL,
    "live_hash" TEXT NOT NULL,
    "detected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_checked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),
    CONSTRAINT "schema_drift_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "sql_review_policy" (
    "environment_id" TEXT NOT NULL,
    "approvals_required" INTEGER NOT NULL DEFAULT 1,
    "rules" JSONB NOT NULL DEFAULT '{}',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "sql_review_policy_pkey" PRIMARY KEY ("environment_id")
);

-- CreateIndex
CREATE INDEX "change_request_status_updated_at_idx" ON "change_request"("status", "updated_at");
CREATE INDEX "change_request_virtual_database_id_idx" ON "change_request"("virtual_database_id");
CREATE UNIQUE INDEX "change_version_change_request_id_version_key" ON "change_version"("change_request_id", "version");
CREATE UNIQUE INDEX "change_check_version_id_endpoint_id_key" ON "change_check"("version_id", "endpoint_id");
CREATE INDEX "change_review_change_request_id_created_at_idx" ON "change_review"("change_request_id", "created_at");
CREATE INDEX "change_stage_change_request_id_kind_position_idx" ON "change_stage"("change_request_id", "kind", "position");
CREATE INDEX "change_stage_endpoint_id_idx" ON "change_stage"("endpoint_id");
CREATE UNIQUE INDEX "schema_change_history_stage_id_statement_index_key" ON "schema_change_history"("stage_id", "statement_index");
CREATE INDEX "schema_change_history_virtual_database_id_id_idx" ON "schema_change_history"("virtual_database_id", "id");
CREATE INDEX "schema_change_history_endpoint_id_id_idx" ON "schema_change_history"("endpoint_id", "id");
CREATE INDEX "schema_snapshot_endpoint_id_created_at_idx" ON "schema_snapshot"("endpoint_id", "created_at");
CREATE INDEX "schema_drift_endpoint_id_resolved_at_idx" ON "schema_drift"("endpoint_id", "resolved_at");

-- AddForeignKey
ALTER TABLE "change_version" ADD CONSTRAINT "change_version_change_request_id_fkey" FOREIGN KEY ("change_request_id") REFERENCES "change_request"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "change_check" ADD CONSTRAINT "change_check_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "change_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "change_review" ADD CONSTRAINT "change_review_change_request_id_fkey" FOREIGN KEY ("change_request_id") REFERENCES "change_request"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "change_stage" ADD CONSTRAINT "change_stage_change_request_id_fkey" FOREIGN KEY ("change_request_id") REFERENCES "change_request"("id") ON DELETE CASCADE ON UPDATE CASCADE;
