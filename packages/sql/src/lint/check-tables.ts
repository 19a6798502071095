import type { ColumnType, MigrationState } from "./migration-state";
import type { Json, ReadStatement } from "./read-statements";
import { relLocation, relName, type Reporter, strings } from "./reporter";
import {
  alignmentWaste,
  columnTypeLabel,
  columnTypeOf,
  isJson,
  isSerial,
  isTimestampWithoutZone,
  quotingNeed,
  snakeCase,
  typeLabel,
} from "./type-names";

// CREATE TABLE and ALTER TABLE: column types, added columns, type changes, constraints, rewriting settings.

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

/** DM405: a new name that every query will have to double-quote. */
export function checkIdentifier(what: string, name: string, r: Reporter, location?: unknown): void {
  const need = quotingNeed(name);
  if (need === null) return;
  const plain = snakeCase(name);
  const suggestion = plain !== name ? ` such as ${plain}` : "";
  r.report("DM405", `${what} "${name}" ${need}, so every query must double-quote it: prefer a lower-case snake_case name${suggestion}.`, location);
}

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

export function checkCreateTable(statement: ReadStatement, body: Json, state: MigrationState, r: Reporter): void {
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
  checkIdentifier("Table name", table, r, relLocation(relation));
  const columns: Json[] = [];
  for (const element of elements) {
    const column = element.ColumnDef as Json | undefined;
    if (column !== undefined) {
      columns.push(column);
      const name = String(column.colname);
      const typeName = column.typeName as Json | undefined;
      checkIdentifier("Column name", name, r, column.location);
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

export function checkCreateTableAs(statement: ReadStatement, body: Json, state: MigrationState): void {
  const into = body.into as Json | undefined;
  const relation = into?.rel as Json | undefined;
  if (relation === undefined) return;
  // A materialized view cannot have a primary key; a CREATE TABLE AS table should get one.
  const needsPrimaryKey = body.objtype !== "OBJECT_MATVIEW" && relation.relpersistence !== "t";
  state.addTable(statement, relName(relation), statement.indexOf(relLocation(relation) as number | undefined), needsPrimaryKey);
}

export function checkAlterTable(statement: ReadStatement, body: Json, state: MigrationState, r: Reporter): void {
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
          const cascade = cmd.behavior === "DROP_CASCADE" ? " CASCADE also drops the views and constraints that use it." : "";
          r.reportAt("DS103", `Dropping column "${table}.${column}" deletes its data.${cascade}`, here);
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
  checkIdentifier("Column name", name, r, where);
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
const typeLabelOf = columnTypeLabel;

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
