-- Conditions an agent reports in its heartbeat for an operator to see (e.g. audit_dropping: SQL audit events
-- are being dropped because the agent's spool is full). Replaced wholesale by each heartbeat.

-- AlterTable
ALTER TABLE "agent" ADD COLUMN "alarms" JSONB NOT NULL DEFAULT '[]';
