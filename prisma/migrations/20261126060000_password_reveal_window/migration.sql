-- An issued password waits, encrypted, for its one reveal only for a while (7 days: PASSWORD_REVEAL_WINDOW_HOURS
-- in packages/api); the maintenance job deletes it afterwards and the developer rotates for a new one.
ALTER TABLE "database_request" ADD COLUMN "pending_password_expires_at" TIMESTAMPTZ(3);

-- Passwords already waiting get the window from now.
UPDATE "database_request"
   SET "pending_password_expires_at" = now() + interval '7 days'
 WHERE "pending_password_enc" IS NOT NULL;

CREATE INDEX "database_request_pending_password_expires_at_idx"
    ON "database_request" ("pending_password_expires_at")
 WHERE "pending_password_enc" IS NOT NULL;
