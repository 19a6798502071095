-- Backups (issue 5): plans, runs (one per scheduled slot, fenced by attempt) and restores.

-- CreateEnum
CREATE TYPE "BackupVerification" AS ENUM ('NONE', 'LIST', 'RESTORE');
CREATE TYPE "BackupRunStatus" AS ENUM ('QUEUED', 'RUNNING', 'VERIFYING', 'SUCCEEDED', 'FAILED');
CREATE TYPE "RestoreStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

-- CreateTable
CREATE TABLE "backup_plan" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "endpoint_id" TEXT,
    "virtual_database_id" TEXT,
    "database" TEXT,
    "cron" TEXT NOT NULL,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "method" TEXT NOT NULL DEFAULT 'pg_dump',
    "storage_kind" TEXT NOT NULL DEFAULT 'local',
    "storage_path" TEXT NOT NULL DEFAULT '.dbmesh/backups',
    "retention_keep" INTEGER,
    "retention_days" INTEGER,
    "verification" "BackupVerification" NOT NULL DEFAULT 'LIST',
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "max_attempts" INTEGER NOT NULL DEFAULT 3,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "backup_plan_pkey" PRIMARY KEY ("id"),
    -- Exactly one source: an endpoint, or a virtual database (its primary backend at run time).
    CONSTRAINT "backup_plan_one_source" CHECK (("endpoint_id" IS NULL) <> ("virtual_database_id" IS NULL))
);

CREATE TABLE "backup_run" (
    "id" TEXT NOT NULL,
    "plan_id" TEXT NOT NULL,
    "slot" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "triggered_by" TEXT,
    "status" "BackupRunStatus" NOT NULL DEFAULT 'QUEUED',
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "worker" TEXT,
    "heartbeat_at" TIMESTAMPTZ(3),
    "queued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "bytes_written" BIGINT NOT NULL DEFAULT 0,
    "size_bytes" BIGINT,
    "sha256" TEXT,
    "storage_key" TEXT,
    "server_version" TEXT,
    "tool_version" TEXT,
    "endpoint_id" TEXT,
    "database" TEXT,
    "manifest" JSONB,
    "verified_at" TIMESTAMPTZ(3),
    "verify_result" TEXT,
    "error" TEXT,
    "log_tail" TEXT NOT NULL DEFAULT '',
    "deleted_at" TIMESTAMPTZ(3),
    CONSTRAINT "backup_run_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "restore_run" (
    "id" TEXT NOT NULL,
    "backup_run_id" TEXT NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "target_database" TEXT NOT NULL,
    "overwrite" BOOLEAN NOT NULL DEFAULT false,
    "status" "RestoreStatus" NOT NULL DEFAULT 'QUEUED',
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "worker" TEXT,
    "heartbeat_at" TIMESTAMPTZ(3),
    "requested_by" TEXT,
    "queued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "safety_key" TEXT,
    "safety_sha256" TEXT,
    "check" JSONB,
    "error" TEXT,
    "log_tail" TEXT NOT NULL DEFAULT '',
    CONSTRAINT "restore_run_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "backup_plan_name_key" ON "backup_plan"("name");
CREATE UNIQUE INDEX "backup_run_plan_id_slot_key" ON "backup_run"("plan_id", "slot");
CREATE INDEX "backup_run_plan_id_queued_at_idx" ON "backup_run"("plan_id", "queued_at");
CREATE INDEX "backup_run_status_idx" ON "backup_run"("status");
CREATE INDEX "restore_run_backup_run_id_idx" ON "restore_run"("backup_run_id");
CREATE INDEX "restore_run_status_idx" ON "restore_run"("status");

-- AddForeignKey
ALTER TABLE "backup_plan" ADD CONSTRAINT "backup_plan_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "database_endpoint"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "backup_plan" ADD CONSTRAINT "backup_plan_virtual_database_id_fkey" FOREIGN KEY ("virtual_database_id") REFERENCES "virtual_database"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "backup_run" ADD CONSTRAINT "backup_run_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "backup_plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "restore_run" ADD CONSTRAINT "restore_run_backup_run_id_fkey" FOREIGN KEY ("backup_run_id") REFERENCES "backup_run"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "restore_run" ADD CONSTRAINT "restore_run_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "database_endpoint"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
