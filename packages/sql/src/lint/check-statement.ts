import { checkAlterTable, checkCreateTable, checkCreateTableAs, checkIdentifier } from "./check-tables";
import { type MigrationState, nonTransactionalLabel } from "./migration-state";
import type { Json, ReadStatement } from "./read-statements";
import { type RawFinding, relLocation, relName, Reporter, strings } from "./reporter";
import { hasOption } from "./statement-kind";

// The rules, statement by statement, over libpg-query's parse tree. Each finding names the table (and column)
// and points at the most precise location the tree gives (the column, the constraint, the table name), or at
// the name found in the text where the tree has none.

/** Settings the rollout sets for each stage, so that a statement waiting for a lock cannot block everyone. */
const GUARD_SETTINGS = new Set(["lock_timeout", "statement_timeout"]);

export function checkStatement(statement: ReadStatement, state: MigrationState, out: RawFinding[]): void {
  const r = new Reporter(statement, out);
  const { type, body } = statement;
  state.countStatement(statement);
  if (state.hasUncommittedEnumValues() && statement.info.transactional) checkEnumValueUse(body, state, r);
  if (!statement.info.transactional && type !== "TransactionStmt" && state.inTransactionBlock) {
    r.report("DM301", `${nonTransactionalLabel(statement)} cannot run inside the BEGIN … COMMIT block of this migration: PostgreSQL refuses it there.`);
  }
  switch (type) {
    case "TransactionStmt":
      return checkTransaction(body, state, r, statement.info.kind);
    case "CreateSchemaStmt":
      if (typeof body.schemaname === "string") state.addSchema(body.schemaname);
      return;
    case "CreateStmt":
      return checkCreateTable(statement, body, state, r);
    case "CreateTableAsStmt":
      return checkCreateTableAs(statement, body, state);
    case "ViewStmt": {
      // ALTER TABLE users RENAME TO accounts; CREATE VIEW users AS SELECT * FROM accounts: old code keeps reading.
      const renamed = state.takeTableRename(relName(body.view));
      if (renamed !== undefined) r.retract(renamed);
      return;
    }
    case "AlterTableStmt":
      return checkAlterTable(statement, body, state, r);
    case "RenameStmt":
      return checkRename(statement, body, state, r);
    case "DropStmt":
      return checkDrop(statement, body, state, r);
    case "IndexStmt":
      return checkCreateIndex(body, state, r);
    case "UpdateStmt":
    case "DeleteStmt":
      return checkUnfilteredWrite(type, body, state, r);
    case "TruncateStmt":
      return checkTruncate(body, state, r);
    case "LockStmt":
      return checkLock(body, state, r);
    case "VacuumStmt":
    case "ClusterStmt":
      return checkRewriteMaintenance(type, body, state, r);
    case "ReindexStmt":
      return checkReindex(body, state, r);
    case "RefreshMatViewStmt":
      if (body.concurrent !== true && !state.isNewTable(relName(body.relation))) {
        const view = relName(body.relation);
        r.report("DM106", `REFRESH MATERIALIZED VIEW "${view}" without CONCURRENTLY blocks every read of "${view}" until it is done.`, relLocation(body.relation));
      }
      return;
    case "VariableSetStmt":
      if (typeof body.name === "string" && GUARD_SETTINGS.has(body.name)) {
        r.report("DM108", `${statement.info.kind} "${body.name}" replaces the limit dbmesh applies to each stage of the rollout.`);
      }
      return;
    case "CreateEnumStmt":
      state.addEnum(strings(body.typeName).at(-1) ?? "");
      return;
    case "AlterEnumStmt":
      if (typeof body.newVal === "string" && statement.info.transactional) {
        const enumName = strings(body.typeName).at(-1) ?? "";
        if (!state.isNewEnum(enumName)) state.addEnumValue(enumName, body.newVal);
      }
      return;
  }
}

/** DM303: a string constant equal to an enum value added earlier in the same transaction. */
function checkEnumValueUse(body: Json, state: MigrationState, r: Reporter): void {
  const stack: unknown[] = [body];
  const reported = new Set<string>();
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== "object" || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
      continue;
    }
    const node = value as Json;
    const constant = node.A_Const as Json | undefined;
    const text = (constant?.sval as Json | undefined)?.sval;
    if (typeof text === "string" && !reported.has(text)) {
      const enumName = state.enumOfUncommittedValue(text);
      if (enumName !== undefined) {
        reported.add(text);
        r.report(
          "DM303",
          `'${text}' was added to enum "${enumName}" earlier in this migration: PostgreSQL refuses to use it before the migration's transaction commits.`,
          constant!.location,
        );
      }
    }
    for (const key in node) {
      const child = node[key];
      if (typeof child === "object" && child !== null) stack.push(child);
    }
  }
}

function checkTransaction(body: Json, state: MigrationState, r: Reporter, tag: string): void {
  r.report("DM302", `${tag}: dbmesh runs the migration in a transaction of its own; remove transaction control from it.`);
  switch (body.kind) {
    case "TRANS_STMT_BEGIN":
    case "TRANS_STMT_START":
      state.inTransactionBlock = true;
      break;
    case "TRANS_STMT_COMMIT":
    case "TRANS_STMT_ROLLBACK":
    case "TRANS_STMT_PREPARE":
      state.inTransactionBlock = false;
      break;
  }
}

function checkRename(statement: ReadStatement, body: Json, state: MigrationState, r: Reporter): void {
  const table = relName(body.relation);
  const where = relLocation(body.relation);
  const isNew = state.isNewTable(table);
  if (body.renameType === "OBJECT_TABLE") {
    const to = String(body.newname);
    checkIdentifier("Table name", to, r, where);
    if (isNew) state.renameTable(table, to);
    else {
      const finding = r.report("BC101", `Renaming table "${table}" to "${to}" breaks running code that uses the old name.`, where);
      state.noteTableRename(table, finding);
    }
  } else if (body.renameType === "OBJECT_COLUMN" && (body.relationType ?? "OBJECT_TABLE") === "OBJECT_TABLE") {
    const from = String(body.subname);
    const to = String(body.newname);
    checkIdentifier("Column name", to, r, where);
    if (!isNew && !state.isNewColumn(table, from)) {
      const after = statement.indexOf(where as number | undefined) + 1;
      r.reportAt(
        "BC102",
        `Renaming column "${table}.${from}" to "${to}" breaks running code that uses the old name.`,
        statement.findName(from, after) ?? statement.indexOf(where as number | undefined),
      );
    }
    state.renameColumn(table, from, to);
  }
}

function checkDrop(statement: ReadStatement, body: Json, state: MigrationState, r: Reporter): void {
  const objects = (body.objects ?? []) as Json[];
  // DROP TABLE a.b: each object is a List of names; DROP SCHEMA s: each object is a String.
  const names = objects.map((o) => {
    const list = o.List as Json | undefined;
    return list !== undefined ? strings(list.items) : strings([o]);
  });
  // Names carry no location: find each one in the text, in order.
  let cursor = statement.indexOf(undefined);
  const at = (name: string[]): number => {
    cursor = statement.findName(name.at(-1) ?? "", cursor) ?? cursor;
    return cursor;
  };
  const cascade = body.behavior === "DROP_CASCADE" ? " CASCADE also drops every object that depends on it." : "";
  switch (body.removeType) {
    case "OBJECT_SCHEMA":
      for (const name of names) {
        const schema = name[0] ?? "";
        const here = at(name);
        if (!state.isNewSchema(schema)) r.reportAt("DS101", `Dropping schema "${schema}" deletes everything in it.${cascade}`, here);
      }
      return;
    case "OBJECT_TABLE":
      for (const name of names) {
        const table = name.at(-1) ?? "";
        const here = at(name);
        if (!state.isNewTable(table)) r.reportAt("DS102", `Dropping table "${name.join(".")}" deletes its data.${cascade}`, here);
        state.dropTable(table);
      }
      return;
    case "OBJECT_INDEX":
      if (body.concurrent === true) return;
      for (const name of names) {
        const index = name.at(-1) ?? "";
        const here = at(name);
        if (!state.isNewIndex(index)) {
          r.reportAt(
            "PG102",
            `Dropping index "${name.join(".")}" without CONCURRENTLY blocks reads and writes of its table while it waits for its lock.`,
            here,
          );
        }
      }
      return;
  }
}

function checkCreateIndex(body: Json, state: MigrationState, r: Reporter): void {
  const table = relName(body.relation);
  const where = relLocation(body.relation);
  const columns = ((body.indexParams ?? []) as Json[]).map((p) => (p.IndexElem as Json | undefined)?.name);
  state.addIndex(body.idxname as string | undefined, columns.every((c) => typeof c === "string") ? columns : []);
  if (state.isNewTable(table)) return;
  const name = typeof body.idxname === "string" ? `"${body.idxname}" ` : "";
  // CREATE INDEX … ON ONLY parent builds nothing (an invalid index that partitions' indexes are attached to).
  const onlyParent = (body.relation as Json).inh !== true; // libpg-query omits false fields
  if (body.concurrent !== true && !onlyParent) {
    r.report("PG101", `Creating index ${name}on "${table}" without CONCURRENTLY blocks writes to "${table}" for the whole build.`, where);
  }
  if (body.unique === true) {
    r.report("MF101", `Creating unique index ${name}on "${table}" fails if "${table}" already holds duplicates.`, where);
  }
}

function checkUnfilteredWrite(type: string, body: Json, state: MigrationState, r: Reporter): void {
  if (body.whereClause !== undefined) return;
  const table = relName(body.relation);
  if (state.isNewTable(table)) return;
  if (type === "UpdateStmt") r.report("DM201", `UPDATE without WHERE changes every row of "${table}".`, relLocation(body.relation));
  else r.report("DM202", `DELETE without WHERE removes every row of "${table}".`, relLocation(body.relation));
}

function checkTruncate(body: Json, state: MigrationState, r: Reporter): void {
  for (const item of (body.relations ?? []) as Json[]) {
    const relation = item.RangeVar as Json | undefined;
    const table = relName(relation);
    if (!state.isNewTable(table)) r.report("DM203", `TRUNCATE removes every row of "${table}".`, relLocation(relation));
  }
}

function checkLock(body: Json, state: MigrationState, r: Reporter): void {
  for (const item of (body.relations ?? []) as Json[]) {
    const relation = item.RangeVar as Json | undefined;
    const table = relName(relation);
    if (!state.isNewTable(table)) {
      r.report("DM102", `LOCK TABLE "${table}" blocks other sessions until the migration's transaction ends.`, relLocation(relation));
    }
  }
}

function checkRewriteMaintenance(type: string, body: Json, state: MigrationState, r: Reporter): void {
  if (type === "VacuumStmt") {
    if (!hasOption(body.options, "full")) return;
    const relations = ((body.rels ?? []) as Json[]).map((v) => (v.VacuumRelation as Json | undefined)?.relation as Json | undefined);
    const tables = relations.map(relName).filter((t) => t !== "" && !state.isNewTable(t));
    if (relations.length > 0 && tables.length === 0) return;
    const what = tables.length > 0 ? tables.map((t) => `"${t}"`).join(", ") : "every table of the database";
    r.report("DM103", `VACUUM FULL rewrites ${what} under an ACCESS EXCLUSIVE lock.`, relLocation(relations[0]));
    return;
  }
  const table = relName(body.relation);
  if (table !== "" && state.isNewTable(table)) return;
  r.report("DM103", `CLUSTER rewrites ${table !== "" ? `"${table}"` : "every clustered table"} under an ACCESS EXCLUSIVE lock.`, relLocation(body.relation));
}

function checkReindex(body: Json, state: MigrationState, r: Reporter): void {
  if (hasOption(body.params, "concurrently")) return;
  const table = relName(body.relation);
  if (table !== "" && (state.isNewTable(table) || state.isNewIndex(table))) return;
  const target = table !== "" ? `"${table}"` : String(body.name ?? "the database");
  r.report("DM104", `REINDEX of ${target} without CONCURRENTLY blocks writes for the whole rebuild.`, relLocation(body.relation));
}
