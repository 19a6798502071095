import type { RawFinding } from "./lint-migration";
import type { ColumnType, MigrationState } from "./migration-state";
import type { Json, ReadStatement } from "./read-statements";
import { hasOption } from "./statement-kind";
import { alignmentWaste, columnTypeOf, isJson, isSerial, isTimestampWithoutZone, typeLabel } from "./type-names";

// The rules, statement by statement, over libpg-query's parse tree. Each `report` names the table (and column)
// and points at the most precise location the tree gives (the column, the constraint, the table name).

/** Functions whose value differs per row: as an ADD COLUMN default they force a rewrite of the table. */
const VOLATILE_FUNCTIONS = new Set([
  "random",
  "random_normal",
  "gen_random_uuid",
  "uuid_generate_v1",
  "uuid_generate_v1mc",
  "uuid_generate_v4",
  "uuidv4",
  "uuidv7",
  "clock_timestamp",
  "timeofday",
  "nextval",
  "gen_random_bytes",
  "txid_current",
]);

const REWRITING_SETTINGS: Record<string, string> = {
  AT_SetLogged: "SET LOGGED",
  AT_SetUnLogged: "SET UNLOGGED",
  AT_SetTableSpace: "SET TABLESPACE",
  AT_SetAccessMethod: "SET ACCESS METHOD",
};

class Reporter {
  constructor(
    private readonly statement: ReadStatement,
    private readonly out: RawFinding[],
  ) {}

  report(code: string, message: string, location?: unknown): RawFinding {
    return this.reportAt(code, message, this.statement.indexOf(typeof location === "number" ? location : undefined));
  }

  /** At a string index of the migration text. */
  reportAt(code: string, message: string, index: number): RawFinding {
    const finding = { code, message, statementIndex: this.statement.info.index, index };
    this.out.push(finding);
    return finding;
  }

  retract(finding: RawFinding): void {
    const i = this.out.indexOf(finding);
    if (i !== -1) this.out.splice(i, 1);
  }
}

export function checkStatement(statement: ReadStatement, state: MigrationState, out: RawFinding[]): void {
  const r = new Reporter(statement, out);
  const { type, body } = statement;
  state.countStatement(statement);
  if (state.hasUncommittedEnumValues() && statement.info.transactional) checkEnumValueUse(body, state, r);
  if (!statement.info.transactional && type !== "TransactionStmt" && state.inTransactionBlock) {
    r.report("DM301", `${statement.info.kind} cannot run inside the BEGIN … COMMIT block of this migration: PostgreSQL refuses it there.`);
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

const relName = (relation: unknown): string => String((relation as Json | undefined)?.relname ?? "");
const relLocation = (relation: unknown): unknown => (relation as Json | undefined)?.location;
const strings = (list: unknown): string[] =>
  Array.isArray(list) ? list.map((n) => String(((n as Json).String as Json | undefined)?.sval ?? "")) : [];

function constraintsOf(column: Json): Json[] {
  return ((column.constraints ?? []) as Json[]).map((c) => c.Constraint as Json).filter((c) => c !== undefined);
}

/** Type rules shared by CREATE TABLE, ADD COLUMN and ALTER COLUMN TYPE. */
function checkColumnType(table: string, column: string, typeName: Json | undefined, r: Reporter): void {
  if (typeName === undefined) return;
  const where = typeName.location;
  if (isSerial(typeName)) {
    r.report("DM402", `Column "${table}.${column}" is ${typeLabel(typeName)}: use bigint GENERATED ALWAYS AS IDENTITY.`, where);
  }
  if (isJson(typeName)) r.report("DM403", `Column "${table}.${column}" is json: use jsonb.`, where);
  if (isTimestampWithoutZone(typeName)) {
    r.report("DM404", `Column "${table}.${column}" is timestamp without time zone: use timestamptz.`, where);
  }
}

function checkCreateTable(statement: ReadStatement, body: Json, state: MigrationState, r: Reporter): void {
  const relation = body.relation as Json;
  const table = relName(relation);
  const elements = (body.tableElts ?? []) as Json[];
  const temporary = relation.relpersistence === "t";
  const derived =
    body.partbound !== undefined ||
    (Array.isArray(body.inhRelations) && body.inhRelations.length > 0) ||
    body.ofTypename !== undefined ||
    elements.some((e) => e.TableLikeClause !== undefined);
  state.addTable(statement, table, statement.indexOf(relLocation(relation) as number | undefined), !temporary && !derived);
  const columns: Json[] = [];
  for (const element of elements) {
    const column = element.ColumnDef as Json | undefined;
    if (column !== undefined) {
      columns.push(column);
      const name = String(column.colname);
      const typeName = column.typeName as Json | undefined;
      checkColumnType(table, name, typeName, r);
      const constraints = constraintsOf(column);
      const notNull = constraints.some((c) => c.contype === "CONSTR_NOTNULL" || c.contype === "CONSTR_PRIMARY");
      state.addColumn(table, name, typeName ? columnTypeOf(typeName) : null, notNull);
      if (constraints.some((c) => c.contype === "CONSTR_PRIMARY")) state.markPrimaryKey(table);
      for (const c of constraints) if (typeof c.conname === "string") state.addConstraint(table, c.conname);
    }
    const constraint = element.Constraint as Json | undefined;
    if (constraint !== undefined) {
      if (constraint.contype === "CONSTR_PRIMARY") {
        state.markPrimaryKey(table);
        for (const key of strings(constraint.keys)) state.markNotNull(table, key);
      }
      state.addConstraint(table, constraint.conname as string | undefined);
    }
  }
  const waste = alignmentWaste(columns.map((c) => c.typeName as Json | undefined));
  if (waste > 0) {
    r.report(
      "PG110",
      `Table "${table}": ordering its fixed-width columns from the widest to the narrowest saves ${waste} bytes per row.`,
      relLocation(relation),
    );
  }
}

function checkCreateTableAs(statement: ReadStatement, body: Json, state: MigrationState): void {
  const into = body.into as Json | undefined;
  const relation = into?.rel as Json | undefined;
  if (relation === undefined) return;
  // A materialized view cannot have a primary key; a CREATE TABLE AS table should get one.
  const needsPrimaryKey = body.objtype !== "OBJECT_MATVIEW" && relation.relpersistence !== "t";
  state.addTable(statement, relName(relation), statement.indexOf(relLocation(relation) as number | undefined), needsPrimaryKey);
}

function checkAlterTable(statement: ReadStatement, body: Json, state: MigrationState, r: Reporter): void {
  if (body.objtype !== undefined && body.objtype !== "OBJECT_TABLE") return;
  const relation = body.relation as Json;
  const table = relName(relation);
  const isNew = state.isNewTable(table);
  // Where the current subcommand is: the tree locates column and constraint definitions, not `DROP COLUMN c`
  // or `ALTER c SET NOT NULL`; for those, the next token spelling the name after the previous subcommand.
  let cursor = statement.indexOf(relLocation(relation) as number | undefined);
  for (const item of (body.cmds ?? []) as Json[]) {
    const cmd = item.AlterTableCmd as Json | undefined;
    if (cmd === undefined) continue;
    const def = cmd.def as Json | undefined;
    const column = typeof cmd.name === "string" ? cmd.name : "";
    const defLocation = ((def?.ColumnDef ?? def?.Constraint) as Json | undefined)?.location;
    if (typeof defLocation === "number") cursor = statement.indexOf(defLocation);
    else if (column !== "") cursor = statement.findName(column, cursor + 1) ?? cursor;
    const here = cursor;
    switch (cmd.subtype) {
      case "AT_AddColumn":
        addColumn(table, isNew, def?.ColumnDef as Json, state, r);
        break;
      case "AT_DropColumn":
        if (!isNew && !state.isNewColumn(table, column)) {
          r.reportAt("DS103", `Dropping column "${table}.${column}" deletes its data.`, here);
        }
        state.dropColumn(table, column);
        break;
      case "AT_AlterColumnType":
        alterColumnType(table, column, isNew, def?.ColumnDef as Json, state, r);
        break;
      case "AT_SetNotNull":
        if (!isNew && !state.isKnownNotNull(table, column)) {
          r.reportAt("MF104", `Setting "${table}.${column}" NOT NULL fails if any row holds NULL in it.`, here);
          r.reportAt(
            "PG303",
            `SET NOT NULL on "${table}.${column}" scans the whole table under an ACCESS EXCLUSIVE lock: validate a CHECK ("${column}" IS NOT NULL) NOT VALID constraint first.`,
            here,
          );
        }
        state.markNotNull(table, column);
        break;
      case "AT_AddConstraint":
        addConstraint(table, isNew, def?.Constraint as Json, state, r);
        break;
      case "AT_ValidateConstraint":
        state.validateConstraint(table, column);
        break;
      case "AT_SetLogged":
      case "AT_SetUnLogged":
      case "AT_SetTableSpace":
      case "AT_SetAccessMethod":
        if (!isNew) {
          const how = REWRITING_SETTINGS[cmd.subtype];
          r.report("DM107", `ALTER TABLE "${table}" ${how} rewrites the whole table under an ACCESS EXCLUSIVE lock.`, relLocation(relation));
        }
        break;
      case "AT_DropConstraint":
        if (!isNew && !state.hasConstraint(table, column)) {
          r.reportAt("CD101", `Dropping constraint "${column}" of "${table}" stops the database from enforcing it.`, here);
        }
        state.dropConstraint(table, column);
        break;
    }
  }
}

function addColumn(table: string, isNew: boolean, column: Json | undefined, state: MigrationState, r: Reporter): void {
  if (column === undefined) return;
  const name = String(column.colname);
  const typeName = column.typeName as Json | undefined;
  const where = column.location;
  checkColumnType(table, name, typeName, r);
  const constraints = constraintsOf(column);
  const has = (contype: string) => constraints.find((c) => c.contype === contype);
  const primary = has("CONSTR_PRIMARY");
  const notNull = has("CONSTR_NOTNULL") !== undefined || primary !== undefined;
  state.addColumn(table, name, typeName ? columnTypeOf(typeName) : null, notNull);
  if (primary !== undefined) state.markPrimaryKey(table);
  for (const c of constraints) if (typeof c.conname === "string") state.addConstraint(table, c.conname);
  if (isNew) return;

  const serial = typeName !== undefined && isSerial(typeName);
  // DEFAULT NULL is no default as far as NOT NULL is concerned.
  const declaredDefault = has("CONSTR_DEFAULT")?.raw_expr as Json | undefined;
  const defaultExpr = (declaredDefault?.A_Const as Json | undefined)?.isnull === true ? undefined : declaredDefault;
  const identity = has("CONSTR_IDENTITY");
  const generated = has("CONSTR_GENERATED");
  if (notNull && defaultExpr === undefined && !serial && identity === undefined && generated === undefined) {
    r.report("MF103", `Adding NOT NULL column "${table}.${name}" without a DEFAULT fails if "${table}" has any row.`, where);
  }
  const volatile = defaultExpr !== undefined ? volatileCall(defaultExpr) : null;
  const rewriteBy =
    volatile !== null
      ? `its DEFAULT calls ${volatile}(), which is volatile`
      : serial
        ? `it is ${typeLabel(typeName!)}, whose nextval() default is volatile`
        : identity !== undefined
          ? "an identity column computes a value for every row"
          : generated !== undefined
            ? "a stored generated column is computed for every row"
            : null;
  if (rewriteBy !== null) {
    r.report("PG302", `Adding column "${table}.${name}" rewrites the whole table under an ACCESS EXCLUSIVE lock: ${rewriteBy}.`, where);
  }
  const unique = primary ?? has("CONSTR_UNIQUE");
  if (unique !== undefined) {
    const what = primary !== undefined ? "PRIMARY KEY" : "UNIQUE";
    r.report(
      "DM105",
      `Adding column "${table}.${name}" with an inline ${what} builds its index while "${table}" is locked against reads and writes.`,
      unique.location ?? where,
    );
  }
}

/** The name of the first volatile function called in an expression, else null. */
function volatileCall(expr: unknown): string | null {
  const stack: unknown[] = [expr];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== "object" || value === null) continue;
    if (Array.isArray(value)) {
      stack.push(...value);
      continue;
    }
    const node = value as Json;
    const call = node.FuncCall as Json | undefined;
    if (call !== undefined) {
      const name = strings(call.funcname).at(-1) ?? "";
      if (VOLATILE_FUNCTIONS.has(name)) return name;
    }
    for (const key in node) stack.push(node[key]);
  }
  return null;
}

function alterColumnType(
  table: string,
  column: string,
  isNew: boolean,
  def: Json | undefined,
  state: MigrationState,
  r: Reporter,
): void {
  const typeName = def?.typeName as Json | undefined;
  if (typeName === undefined) return;
  checkColumnType(table, column, typeName, r);
  const target = columnTypeOf(typeName);
  const before = state.columnType(table, column);
  state.setColumnType(table, column, target);
  if (isNew) return;
  const where = typeName.location;
  if (before !== undefined && before !== null && isVarchar(before) && isVarchar(target)) {
    const [was] = before.typmods;
    const [now] = target.typmods;
    // Lengthening a varchar, or dropping its limit, changes only the catalog.
    if (now === undefined || (was !== undefined && now >= was)) return;
    r.report(
      "DM501",
      `Shortening "${table}.${column}" from ${typeLabelOf(before)} to ${typeLabelOf(target)} fails on longer values and rewrites the table.`,
      where,
    );
  } else if (before !== undefined && before !== null && (isVarchar(before) || before.name === "text") && target.name === "text") {
    return; // varchar → text is binary-coercible: no rewrite
  }
  r.report(
    "PG301",
    `Changing the type of "${table}.${column}" to ${typeLabelOf(target)} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (unless it only lengthens a varchar).`,
    where,
  );
}

const isVarchar = (t: ColumnType) => t.name === "varchar";
const typeLabelOf = (t: ColumnType) => (t.typmods.length > 0 ? `${t.name}(${t.typmods.join(",")})` : t.name);

function addConstraint(table: string, isNew: boolean, constraint: Json | undefined, state: MigrationState, r: Reporter): void {
  if (constraint === undefined) return;
  const name = constraint.conname as string | undefined;
  const named = name !== undefined ? ` "${name}"` : "";
  const where = constraint.location;
  const validated = constraint.skip_validation !== true;
  switch (constraint.contype) {
    case "CONSTR_CHECK":
      state.addConstraint(table, name ?? "", { notNullColumns: notNullColumnsOf(constraint.raw_expr), validated });
      if (!isNew && validated) {
        r.report("PG305", `Adding CHECK constraint${named} to "${table}" scans the whole table under an ACCESS EXCLUSIVE lock: add it NOT VALID, then VALIDATE it.`, where);
      }
      return;
    case "CONSTR_FOREIGN":
      state.addConstraint(table, name);
      if (!isNew && validated) {
        const target = relName(constraint.pktable);
        r.report(
          "DM101",
          `Adding foreign key${named} from "${table}" to "${target}" checks every row while both tables are locked against writes: add it NOT VALID, then VALIDATE it.`,
          where,
        );
      }
      return;
    case "CONSTR_PRIMARY":
    case "CONSTR_UNIQUE": {
      state.addConstraint(table, name);
      const primary = constraint.contype === "CONSTR_PRIMARY";
      const keys = strings(constraint.keys);
      if (primary) state.markPrimaryKey(table);
      if (isNew) {
        for (const key of primary ? keys : []) state.markNotNull(table, key);
        return;
      }
      const usingIndex = typeof constraint.indexname === "string";
      const columns = keys.length > 0 ? `(${keys.join(", ")})` : `USING INDEX ${String(constraint.indexname)}`;
      if (!usingIndex) {
        r.report(
          primary ? "PG104" : "PG105",
          `Adding ${primary ? "PRIMARY KEY" : "UNIQUE"} ${columns} to "${table}" builds its index under an ACCESS EXCLUSIVE lock: create the index CONCURRENTLY and add the constraint USING INDEX.`,
          where,
        );
        if (!primary) r.report("MF101", `Adding UNIQUE ${columns} to "${table}" fails if it already holds duplicates.`, where);
      }
      if (primary) {
        const indexColumns = usingIndex ? state.indexColumns(String(constraint.indexname)) : keys;
        const unknown =
          indexColumns === undefined || indexColumns.length === 0 || indexColumns.some((k) => !state.isKnownNotNull(table, k));
        if (unknown) {
          r.report("PG304", `Adding PRIMARY KEY ${columns} to "${table}" sets its columns NOT NULL, which scans the table for any that are still nullable.`, where);
        }
        for (const key of indexColumns ?? []) state.markNotNull(table, key);
      }
      return;
    }
    default:
      state.addConstraint(table, name);
  }
}

/** Columns that `expr` proves NOT NULL: `c IS NOT NULL`, alone or in a top-level AND. */
function notNullColumnsOf(expr: unknown): string[] {
  const out: string[] = [];
  const visit = (node: Json | undefined): void => {
    if (node === undefined) return;
    const test = node.NullTest as Json | undefined;
    if (test !== undefined && test.nulltesttype === "IS_NOT_NULL") {
      const ref = (test.arg as Json | undefined)?.ColumnRef as Json | undefined;
      const fields = strings(ref?.fields);
      if (fields.length > 0) out.push(fields.at(-1)!);
    }
    const bool = node.BoolExpr as Json | undefined;
    if (bool !== undefined && bool.boolop === "AND_EXPR") for (const arg of (bool.args ?? []) as Json[]) visit(arg);
  };
  visit(expr as Json | undefined);
  return out;
}

function checkRename(statement: ReadStatement, body: Json, state: MigrationState, r: Reporter): void {
  const table = relName(body.relation);
  const where = relLocation(body.relation);
  const isNew = state.isNewTable(table);
  if (body.renameType === "OBJECT_TABLE") {
    const to = String(body.newname);
    if (isNew) state.renameTable(table, to);
    else {
      const finding = r.report("BC101", `Renaming table "${table}" to "${to}" breaks running code that uses the old name.`, where);
      state.noteTableRename(table, finding);
    }
  } else if (body.renameType === "OBJECT_COLUMN" && (body.relationType ?? "OBJECT_TABLE") === "OBJECT_TABLE") {
    const from = String(body.subname);
    const to = String(body.newname);
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
  switch (body.removeType) {
    case "OBJECT_SCHEMA":
      for (const name of names) {
        const schema = name[0] ?? "";
        const here = at(name);
        if (!state.isNewSchema(schema)) r.reportAt("DS101", `Dropping schema "${schema}" deletes everything in it.`, here);
      }
      return;
    case "OBJECT_TABLE":
      for (const name of names) {
        const table = name.at(-1) ?? "";
        const here = at(name);
        if (!state.isNewTable(table)) r.reportAt("DS102", `Dropping table "${name.join(".")}" deletes its data.`, here);
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
  if (body.concurrent !== true) {
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
