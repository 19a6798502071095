-- Self-service: a new database may be a schema in a shared database instead of a database of its own.
CREATE TYPE "DatabasePlacement" AS ENUM ('DATABASE', 'SCHEMA');

ALTER TABLE "database_request"
    ADD COLUMN "placement" "DatabasePlacement" NOT NULL DEFAULT 'DATABASE',
    ADD COLUMN "backend_schema" TEXT;
