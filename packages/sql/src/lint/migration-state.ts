import type { RawFinding } from "./reporter";
import type { ReadStatement } from "./read-statements";
import { hasOption } from "./statement-kind";

// What the migration itself has done so far, as far as the rules care: which tables and columns it created
// (changes to those touch no existing rows), which constraints and indexes it added, which columns it proved
// NOT NULL, and whether an explicit transaction block is open. Tables are keyed by name without schema:
// a migration that creates `a.users` and alters `b.users` is rare enough to accept the confusion.

export interface ColumnType {
  /** Last name of the type, as the parser spells it: "varchar", "int4", "text"… */
  name: string;
  typmods: number[];
}

interface NewTable {
  statementIndex: number;
  index: number;
  name: string;
  /** False when nothing can be said (PARTITION OF, INHERITS, LIKE): DM401 then stays quiet. */
  needsPrimaryKey: boolean;
  hasPrimaryKey: boolean;
}

interface CheckConstraint {
  /** Columns its expression proves NOT NULL (a top-level AND of `column IS NOT NULL`). */
  notNullColumns: string[];
  validated: boolean;
}

export class MigrationState {
  private readonly newTables = new Map<string, NewTable>();
  /** table → column → type, for columns whose type the migration declared (new tables and added columns). */
  private readonly columnTypes = new Map<string, Map<string, ColumnType | null>>();
  /** Columns added by this migration to tables that existed before it. */
  private readonly addedColumns = new Set<string>();
  private readonly notNullColumns = new Set<string>();
  private readonly checks = new Map<string, CheckConstraint>();
  private readonly constraints = new Set<string>();
  /** Indexes created by this migration → their plain column names (none for expressions). */
  private readonly indexes = new Map<string, string[]>();
  /** BC101 findings that a later CREATE VIEW with the old name takes back (the view keeps old code working). */
  private readonly renamedTables = new Map<string, RawFinding>();
  private readonly schemas = new Set<string>();
  private readonly enums = new Set<string>();
  /** Enum values added by ALTER TYPE … ADD VALUE in this migration's transaction → their enum. */
  private readonly enumValues = new Map<string, string>();
  private readonly nonTransactional: { statementIndex: number; index: number; label: string }[] = [];
  private transactionalStatements = 0;
  inTransactionBlock = false;

  isNewTable(name: string): boolean {
    return this.newTables.has(name);
  }

  addTable(statement: ReadStatement, name: string, index: number, needsPrimaryKey: boolean): void {
    this.newTables.set(name, {
      statementIndex: statement.info.index,
      index,
      name,
      needsPrimaryKey,
      hasPrimaryKey: false,
    });
    this.columnTypes.set(name, new Map());
  }

  markPrimaryKey(table: string): void {
    const t = this.newTables.get(table);
    if (t !== undefined) t.hasPrimaryKey = true;
  }

  dropTable(name: string): void {
    this.newTables.delete(name);
    this.columnTypes.delete(name);
  }

  renameTable(from: string, to: string): void {
    const t = this.newTables.get(from);
    if (t !== undefined) {
      this.newTables.delete(from);
      this.newTables.set(to, { ...t, name: to });
    }
    const columns = this.columnTypes.get(from);
    if (columns !== undefined) {
      this.columnTypes.delete(from);
      this.columnTypes.set(to, columns);
    }
  }

  addColumn(table: string, column: string, type: ColumnType | null, notNull: boolean): void {
    let columns = this.columnTypes.get(table);
    if (columns === undefined) this.columnTypes.set(table, (columns = new Map()));
    columns.set(column, type);
    if (!this.newTables.has(table)) this.addedColumns.add(`${table}.${column}`);
    if (notNull) this.notNullColumns.add(`${table}.${column}`);
  }

  /** Added by this migration (to a new or an existing table). */
  isNewColumn(table: string, column: string): boolean {
    return this.newTables.has(table) || this.addedColumns.has(`${table}.${column}`);
  }

  /** The declared type, when the migration declared the column; undefined when it did not. */
  columnType(table: string, column: string): ColumnType | null | undefined {
    return this.columnTypes.get(table)?.get(column);
  }

  setColumnType(table: string, column: string, type: ColumnType | null): void {
    this.columnTypes.get(table)?.set(column, type);
  }

  dropColumn(table: string, column: string): void {
    this.columnTypes.get(table)?.delete(column);
    this.addedColumns.delete(`${table}.${column}`);
  }

  renameColumn(table: string, from: string, to: string): void {
    const columns = this.columnTypes.get(table);
    if (columns?.has(from)) {
      columns.set(to, columns.get(from)!);
      columns.delete(from);
    }
    if (this.addedColumns.delete(`${table}.${from}`)) this.addedColumns.add(`${table}.${to}`);
  }

  markNotNull(table: string, column: string): void {
    this.notNullColumns.add(`${table}.${column}`);
  }

  /** Known NOT NULL: declared so, set so, or proved by a validated CHECK earlier in this migration. */
  isKnownNotNull(table: string, column: string): boolean {
    if (this.notNullColumns.has(`${table}.${column}`)) return true;
    for (const [key, check] of this.checks) {
      if (key.startsWith(`${table}.`) && check.validated && check.notNullColumns.includes(column)) return true;
    }
    return false;
  }

  addConstraint(table: string, name: string | undefined, check?: CheckConstraint): void {
    if (name === undefined) return;
    this.constraints.add(`${table}.${name}`);
    if (check !== undefined) this.checks.set(`${table}.${name}`, check);
  }

  hasConstraint(table: string, name: string): boolean {
    return this.constraints.has(`${table}.${name}`);
  }

  validateConstraint(table: string, name: string): void {
    const check = this.checks.get(`${table}.${name}`);
    if (check !== undefined) check.validated = true;
  }

  dropConstraint(table: string, name: string): void {
    this.constraints.delete(`${table}.${name}`);
    this.checks.delete(`${table}.${name}`);
  }

  addIndex(name: string | undefined, columns: string[]): void {
    if (name !== undefined) this.indexes.set(name, columns);
  }

  indexColumns(name: string): string[] | undefined {
    return this.indexes.get(name);
  }

  noteTableRename(from: string, finding: RawFinding): void {
    this.renamedTables.set(from, finding);
  }

  /** The BC101 finding of a table renamed away from `name`, once. */
  takeTableRename(name: string): RawFinding | undefined {
    const finding = this.renamedTables.get(name);
    this.renamedTables.delete(name);
    return finding;
  }

  isNewIndex(name: string): boolean {
    return this.indexes.has(name);
  }

  addEnum(name: string): void {
    this.enums.add(name);
  }

  /** Created by this migration: values added to it are usable at once (PostgreSQL allows that). */
  isNewEnum(name: string): boolean {
    return this.enums.has(name);
  }

  addEnumValue(enumName: string, value: string): void {
    this.enumValues.set(value, enumName);
  }

  hasUncommittedEnumValues(): boolean {
    return this.enumValues.size > 0;
  }

  enumOfUncommittedValue(value: string): string | undefined {
    return this.enumValues.get(value);
  }

  addSchema(name: string): void {
    this.schemas.add(name);
  }

  isNewSchema(name: string): boolean {
    return this.schemas.has(name);
  }

  countStatement(statement: ReadStatement): void {
    if (statement.type === "TransactionStmt") return;
    if (statement.info.transactional) this.transactionalStatements++;
    else {
      this.nonTransactional.push({
        statementIndex: statement.info.index,
        index: statement.indexOf(undefined),
        label: nonTransactionalLabel(statement),
      });
    }
  }

  /** Findings that need the whole migration: tables left without a primary key, non-transactional statements mixed with others. */
  finish(out: RawFinding[]): void {
    for (const t of this.newTables.values()) {
      if (t.needsPrimaryKey && !t.hasPrimaryKey) {
        out.push({
          code: "DM401",
          statementIndex: t.statementIndex,
          index: t.index,
          message: `Table "${t.name}" is created without a primary key.`,
        });
      }
    }
    if (this.transactionalStatements > 0) {
      for (const s of this.nonTransactional) {
        out.push({
          code: "PG103",
          statementIndex: s.statementIndex,
          index: s.index,
          message: `${s.label} cannot run in a transaction: it runs on its own, and the migration is no longer all-or-nothing.`,
        });
      }
    }
  }
}

/** "CREATE INDEX CONCURRENTLY on "orders"", "VACUUM", "DROP INDEX CONCURRENTLY"… */
export function nonTransactionalLabel(statement: ReadStatement): string {
  const { kind } = statement.info;
  const body = statement.body;
  const concurrently = body.concurrent === true || hasOption(body.params, "concurrently") ? " CONCURRENTLY" : "";
  const relation = (body.relation as { relname?: string } | undefined)?.relname;
  return `${kind}${kind.includes("INDEX") || kind === "REINDEX" ? concurrently : ""}${relation ? ` on "${relation}"` : ""}`;
}
