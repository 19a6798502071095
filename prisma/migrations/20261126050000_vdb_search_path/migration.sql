-- A virtual database's initial search path: the agent sends it to the backends at login and judges
-- unqualified names against it. Empty: the server's default ("$user", public), as before.
ALTER TABLE "virtual_database" ADD COLUMN "search_path" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];

-- Schema-placed self-service databases so far relied on the owner role's search_path: give their virtual
-- databases that schema, so the agent and the backend agree from this revision on.
UPDATE "virtual_database" v
   SET "search_path" = ARRAY[r."backend_schema"]
  FROM "database_request" r
 WHERE r."virtual_database" = v."name"
   AND r."placement" = 'SCHEMA'
   AND r."backend_schema" IS NOT NULL
   AND r."kind" = 'NEW_DATABASE'
   AND r."status" IN ('READY', 'DECOMMISSION_SCHEDULED');
