-- Governance settings of a virtual database, enforced by the agent (issue 4).

-- AlterTable
ALTER TABLE "virtual_database"
    ADD COLUMN "access_default" TEXT NOT NULL DEFAULT 'allow',
    ADD COLUMN "audit_mode" TEXT NOT NULL DEFAULT 'all',
    ADD COLUMN "audit_sample_rate" DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    ADD COLUMN "audit_keep_literals" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "rate_limit_per_credential" INTEGER,
    ADD COLUMN "rate_limit_per_database" INTEGER,
    ADD COLUMN "dangerous_functions" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- Hand-written (Prisma does not model CHECK constraints): the API validates the same with zod.
ALTER TABLE "virtual_database"
    ADD CONSTRAINT "virtual_database_access_default_check" CHECK ("access_default" IN ('allow', 'deny')),
    ADD CONSTRAINT "virtual_database_audit_mode_check" CHECK ("audit_mode" IN ('all', 'writes', 'denied', 'sample', 'off')),
    ADD CONSTRAINT "virtual_database_audit_sample_rate_check" CHECK ("audit_sample_rate" >= 0 AND "audit_sample_rate" <= 1),
    ADD CONSTRAINT "virtual_database_rate_limits_check" CHECK (
        ("rate_limit_per_credential" IS NULL OR "rate_limit_per_credential" >= 1)
        AND ("rate_limit_per_database" IS NULL OR "rate_limit_per_database" >= 1));

-- Backfill: until now a virtual database with access rules refused what no rule allowed, and one without
-- rules was open. Keep exactly that behaviour for what exists.
UPDATE "virtual_database" v SET "access_default" = 'deny'
WHERE EXISTS (SELECT 1 FROM "access_rule" r WHERE r."virtual_database_id" = v."id");
