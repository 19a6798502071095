-- CreateTable
CREATE TABLE "app_credential" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "scram_verifier" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "app_credential_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "credential_grant" (
    "credential_id" TEXT NOT NULL,
    "virtual_database_id" TEXT NOT NULL,
    CONSTRAINT "credential_grant_pkey" PRIMARY KEY ("credential_id","virtual_database_id")
);

CREATE TABLE "agent" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "token_prefix" TEXT NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "version" TEXT,
    "address" TEXT,
    "remote_address" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "last_heartbeat_at" TIMESTAMPTZ(3),
    "applied_revision" BIGINT,
    "backends" JSONB NOT NULL DEFAULT '[]',
    "counters" JSONB NOT NULL DEFAULT '{}',
    CONSTRAINT "agent_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "agent_config_fetch" (
    "id" BIGSERIAL NOT NULL,
    "agent_id" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" INTEGER NOT NULL,
    "revision" BIGINT NOT NULL,
    "known_revision" BIGINT,
    "waited_ms" INTEGER NOT NULL,
    CONSTRAINT "agent_config_fetch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "app_credential_name_key" ON "app_credential"("name");
CREATE INDEX "credential_grant_virtual_database_id_idx" ON "credential_grant"("virtual_database_id");
CREATE UNIQUE INDEX "agent_name_key" ON "agent"("name");
CREATE UNIQUE INDEX "agent_token_hash_key" ON "agent"("token_hash");
CREATE INDEX "agent_config_fetch_agent_id_id_idx" ON "agent_config_fetch"("agent_id", "id");

-- AddForeignKey
ALTER TABLE "credential_grant" ADD CONSTRAINT "credential_grant_credential_id_fkey" FOREIGN KEY ("credential_id") REFERENCES "app_credential"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "credential_grant" ADD CONSTRAINT "credential_grant_virtual_database_id_fkey" FOREIGN KEY ("virtual_database_id") REFERENCES "virtual_database"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "agent_config_fetch" ADD CONSTRAINT "agent_config_fetch_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
