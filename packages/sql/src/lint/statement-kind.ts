import type { Json } from "./read-statements";

// A statement's command tag (as PostgreSQL's psql would print it) and whether it may run in a transaction block.

const TAGS: Record<string, string> = {
  CreateStmt: "CREATE TABLE",
  CreateForeignTableStmt: "CREATE FOREIGN TABLE",
  IndexStmt: "CREATE INDEX",
  ViewStmt: "CREATE VIEW",
  CreateSchemaStmt: "CREATE SCHEMA",
  CreateSeqStmt: "CREATE SEQUENCE",
  AlterSeqStmt: "ALTER SEQUENCE",
  CreateEnumStmt: "CREATE TYPE",
  CompositeTypeStmt: "CREATE TYPE",
  CreateRangeStmt: "CREATE TYPE",
  AlterEnumStmt: "ALTER TYPE",
  CreateTrigStmt: "CREATE TRIGGER",
  CreateDomainStmt: "CREATE DOMAIN",
  CommentStmt: "COMMENT",
  SelectStmt: "SELECT",
  InsertStmt: "INSERT",
  UpdateStmt: "UPDATE",
  DeleteStmt: "DELETE",
  MergeStmt: "MERGE",
  TruncateStmt: "TRUNCATE",
  CopyStmt: "COPY",
  LockStmt: "LOCK TABLE",
  ClusterStmt: "CLUSTER",
  ReindexStmt: "REINDEX",
  DoStmt: "DO",
  CallStmt: "CALL",
  ExplainStmt: "EXPLAIN",
  RefreshMatViewStmt: "REFRESH MATERIALIZED VIEW",
  CreatedbStmt: "CREATE DATABASE",
  DropdbStmt: "DROP DATABASE",
  VariableShowStmt: "SHOW",
  AlterSystemStmt: "ALTER SYSTEM",
  CreateTableSpaceStmt: "CREATE TABLESPACE",
  DropTableSpaceStmt: "DROP TABLESPACE",
};

const TRANSACTION_TAGS: Record<string, string> = {
  TRANS_STMT_BEGIN: "BEGIN",
  TRANS_STMT_START: "START TRANSACTION",
  TRANS_STMT_COMMIT: "COMMIT",
  TRANS_STMT_ROLLBACK: "ROLLBACK",
  TRANS_STMT_SAVEPOINT: "SAVEPOINT",
  TRANS_STMT_RELEASE: "RELEASE",
  TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO",
  TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
  TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
  TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
};

/** "OBJECT_MATVIEW" → "MATERIALIZED VIEW". */
export function objectWord(objtype: unknown): string {
  if (typeof objtype !== "string") return "TABLE";
  if (objtype === "OBJECT_MATVIEW") return "MATERIALIZED VIEW";
  if (objtype === "OBJECT_FDW") return "FOREIGN DATA WRAPPER";
  return objtype.replace(/^OBJECT_/, "").replace(/_/g, " ");
}

export function commandTag(type: string, body: Json): string {
  switch (type) {
    case "AlterTableStmt":
      return `ALTER ${objectWord(body.objtype)}`;
    case "DropStmt":
      return `DROP ${objectWord(body.removeType)}`;
    case "RenameStmt":
      return `ALTER ${objectWord(body.renameType === "OBJECT_COLUMN" ? body.relationType : body.renameType)}`;
    case "CreateTableAsStmt":
      return body.objtype === "OBJECT_MATVIEW" ? "CREATE MATERIALIZED VIEW" : "CREATE TABLE AS";
    case "CreateFunctionStmt":
      return body.is_procedure === true ? "CREATE PROCEDURE" : "CREATE FUNCTION";
    case "DefineStmt":
      return `CREATE ${objectWord(body.kind)}`;
    case "GrantStmt":
    case "GrantRoleStmt":
      return body.is_grant === true ? "GRANT" : "REVOKE";
    case "TransactionStmt":
      return TRANSACTION_TAGS[String(body.kind)] ?? "TRANSACTION";
    case "VariableSetStmt":
      return String(body.kind).startsWith("VAR_RESET") ? "RESET" : "SET";
    case "VacuumStmt":
      return body.is_vacuumcmd === true ? "VACUUM" : "ANALYZE";
  }
  // CreateExtensionStmt → CREATE EXTENSION, CreatePolicyStmt → CREATE POLICY, …
  return TAGS[type] ?? type.replace(/Stmt$/, "").replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
}

export function hasOption(options: unknown, name: string): boolean {
  return Array.isArray(options) && options.some((o) => ((o as Json).DefElem as Json | undefined)?.defname === name);
}

/** False for what PostgreSQL refuses inside a transaction block, and for transaction control itself. */
export function isTransactional(type: string, body: Json): boolean {
  switch (type) {
    case "TransactionStmt":
    case "CreatedbStmt":
    case "DropdbStmt":
    case "CreateTableSpaceStmt":
    case "DropTableSpaceStmt":
    case "AlterSystemStmt":
    case "CreateSubscriptionStmt":
    case "DropSubscriptionStmt":
      return false;
    case "IndexStmt":
    case "DropStmt":
      return body.concurrent !== true;
    case "ReindexStmt":
      return !hasOption(body.params, "concurrently") && body.kind !== "REINDEX_OBJECT_SYSTEM" && body.kind !== "REINDEX_OBJECT_DATABASE";
    case "VacuumStmt":
      return body.is_vacuumcmd !== true;
    case "ClusterStmt":
      return body.relation !== undefined;
    case "AlterDatabaseStmt":
      return !hasOption(body.options, "tablespace");
    case "AlterTableStmt":
      return !((body.cmds ?? []) as Json[]).some((c) => {
        const cmd = c.AlterTableCmd as Json | undefined;
        return cmd?.subtype === "AT_DetachPartition" && ((cmd.def as Json)?.PartitionCmd as Json)?.concurrent === true;
      });
  }
  return true;
}
