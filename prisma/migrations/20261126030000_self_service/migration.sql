-- Developer self-service (issue 7): database requests, approvals, provisioning steps, credential leases.

CREATE TYPE "DatabaseRequestKind" AS ENUM ('NEW_DATABASE', 'ACCESS', 'DECOMMISSION');
CREATE TYPE "DatabaseRequestStatus" AS ENUM ('PENDING', 'CHANGES_REQUESTED', 'REJECTED', 'APPROVED', 'PROVISIONING', 'READY', 'FAILED', 'DECOMMISSION_SCHEDULED', 'DECOMMISSIONED');
CREATE TYPE "AccessMode" AS ENUM ('READ_ONLY', 'READ_WRITE');

ALTER TABLE "environment"
    ADD COLUMN "request_approvals_required" INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN "credential_lease_ttl_hours" INTEGER NOT NULL DEFAULT 720,
    ADD COLUMN "credential_rotation_grace_seconds" INTEGER NOT NULL DEFAULT 3600,
    ADD COLUMN "decommission_grace_hours" INTEGER NOT NULL DEFAULT 24;

-- The policy the issue asks for: dev approves itself, production needs two DBAs.
UPDATE "environment" SET "request_approvals_required" = 0 WHERE "name" = 'dev';
UPDATE "environment" SET "request_approvals_required" = 2 WHERE "production" OR "name" = 'prod';

ALTER TABLE "app_credential"
    ADD COLUMN "owner_user_id" TEXT,
    ADD COLUMN "expires_at" TIMESTAMPTZ(3),
    ADD COLUMN "revoked_at" TIMESTAMPTZ(3),
    ADD COLUMN "previous_scram_verifier" TEXT,
    ADD COLUMN "previous_valid_until" TIMESTAMPTZ(3);
ALTER TABLE "app_credential" ADD CONSTRAINT "app_credential_owner_user_id_fkey" FOREIGN KEY ("owner_user_id") REFERENCES "app_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "database_request" (
    "id" TEXT NOT NULL,
    "kind" "DatabaseRequestKind" NOT NULL,
    "status" "DatabaseRequestStatus" NOT NULL DEFAULT 'PENDING',
    "virtual_database" TEXT NOT NULL,
    "environment_id" TEXT NOT NULL,
    "purpose" TEXT NOT NULL DEFAULT '',
    "team" TEXT NOT NULL DEFAULT '',
    "size_class" TEXT NOT NULL DEFAULT 'small',
    "extensions" TEXT[],
    "access_mode" "AccessMode",
    "tables" TEXT[],
    "requester_id" TEXT NOT NULL,
    "endpoint_id" TEXT,
    "backend_database" TEXT,
    "owner_role" TEXT,
    "owner_password_enc" TEXT,
    "credential_name" TEXT,
    "pending_password_enc" TEXT,
    "drop_after" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "database_request_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "database_request_requester_id_created_at_idx" ON "database_request"("requester_id", "created_at");
CREATE INDEX "database_request_status_created_at_idx" ON "database_request"("status", "created_at");
ALTER TABLE "database_request" ADD CONSTRAINT "database_request_environment_id_fkey" FOREIGN KEY ("environment_id") REFERENCES "environment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "database_request" ADD CONSTRAINT "database_request_requester_id_fkey" FOREIGN KEY ("requester_id") REFERENCES "app_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "database_request_event" (
    "id" BIGSERIAL NOT NULL,
    "request_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "actor_email" TEXT,
    "comment" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "database_request_event_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "database_request_event_request_id_id_idx" ON "database_request_event"("request_id", "id");
ALTER TABLE "database_request_event" ADD CONSTRAINT "database_request_event_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "database_request"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "database_request_approval" (
    "request_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "database_request_approval_pkey" PRIMARY KEY ("request_id","user_id")
);
ALTER TABLE "database_request_approval" ADD CONSTRAINT "database_request_approval_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "database_request"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "database_request_approval" ADD CONSTRAINT "database_request_approval_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "provision_step" (
    "request_id" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "detail" TEXT NOT NULL DEFAULT '',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "provision_step_pkey" PRIMARY KEY ("request_id","step")
);
ALTER TABLE "provision_step" ADD CONSTRAINT "provision_step_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "database_request"("id") ON DELETE CASCADE ON UPDATE CASCADE;
