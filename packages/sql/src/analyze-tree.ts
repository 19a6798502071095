import type { AccessOperation, AccessStatement, FunctionRef, SettingChange, StatementKind } from "@dbmesh/mesh";
import type { ParseTree } from "./pg-parser";
import type { StatementAnalysis, TableRef, TransactionCommand } from "./types";

// From libpg-query's JSON parse tree to a StatementAnalysis. Nodes are `{ NodeType: body }`, except where
// the grammar fixes the type: a RangeVar is bare under `relation`, `view`, `into.rel`, `pktable`…, and the
// arms of a UNION (`larg`, `rarg`) are bare SelectStmt bodies. Fields holding their default value (false,
// 0, empty) are omitted. So tables are found by shape (an object with a string `relname`), not by key.

type Json = Record<string, unknown>;

const KIND_BY_NODE: Record<string, StatementKind> = {
  SelectStmt: "select",
  InsertStmt: "insert",
  UpdateStmt: "update",
  DeleteStmt: "delete",
  MergeStmt: "merge",
  CopyStmt: "copy",
  TruncateStmt: "truncate",
  TransactionStmt: "transaction",
  VariableSetStmt: "set",
  VariableShowStmt: "show",
  ExplainStmt: "explain",
  CallStmt: "call",
  DoStmt: "call",
};

/** DDL whose node name does not start with Create/Alter/Drop. */
const OTHER_DDL = new Set([
  "ViewStmt",
  "IndexStmt",
  "RuleStmt",
  "RenameStmt",
  "CommentStmt",
  "SecLabelStmt",
  "GrantStmt",
  "GrantRoleStmt",
  "DefineStmt",
  "CompositeTypeStmt",
  "ReassignOwnedStmt",
  "ImportForeignSchemaStmt",
]);

/** Maintenance that needs ownership (or MAINTAIN) in PostgreSQL: reported as ddl on its tables. */
const MAINTENANCE = new Set(["VacuumStmt", "ClusterStmt", "ReindexStmt", "RefreshMatViewStmt"]);

const DML_OPERATION: Record<string, AccessOperation> = {
  InsertStmt: "insert",
  UpdateStmt: "update",
  DeleteStmt: "delete",
  MergeStmt: "merge",
};

const TRANSACTION_BY_KIND: Record<string, TransactionCommand> = {
  TRANS_STMT_BEGIN: "begin",
  TRANS_STMT_START: "begin",
  TRANS_STMT_COMMIT: "commit",
  TRANS_STMT_ROLLBACK: "rollback",
  TRANS_STMT_SAVEPOINT: "savepoint",
  TRANS_STMT_RELEASE: "release",
  TRANS_STMT_ROLLBACK_TO: "rollback_to",
  TRANS_STMT_PREPARE: "prepare",
};

/** DROP / COMMENT ON these name a relation by a plain name list, not a RangeVar. */
const RELATION_OBJECTS = new Set([
  "OBJECT_TABLE",
  "OBJECT_VIEW",
  "OBJECT_MATVIEW",
  "OBJECT_SEQUENCE",
  "OBJECT_FOREIGN_TABLE",
  "OBJECT_INDEX",
]);
/** …and these name `relation.object` (the table is all but the last name). */
const OBJECTS_ON_RELATION = new Set(["OBJECT_TRIGGER", "OBJECT_RULE", "OBJECT_POLICY", "OBJECT_COLUMN"]);

/** `DECLARE … WITH HOLD` (CURSOR_OPT_HOLD in PostgreSQL's parsenodes.h). */
const CURSOR_OPT_HOLD = 0x20;

export function kindOfNode(type: string): StatementKind {
  const kind = KIND_BY_NODE[type];
  if (kind !== undefined) return kind;
  if (type.startsWith("Create") || type.startsWith("Alter") || type.startsWith("Drop") || OTHER_DDL.has(type)) {
    return "ddl";
  }
  return "other";
}

/** Tables of the whole text, deduplicated across its statements. */
class TableSet {
  readonly list: TableRef[] = [];
  /** Keys of `list`, made only once it is long enough for a scan to cost more (most statements touch a few tables). */
  private seen: Set<string> | null = null;

  add(schema: string | null, name: string, operation: AccessOperation): void {
    const list = this.list;
    if (this.seen === null) {
      for (const t of list) if (t.name === name && t.schema === schema && t.operation === operation) return;
      if (list.length >= SCAN_TABLES) this.seen = new Set(list.map((t) => tableKey(t.schema, t.name, t.operation)));
    }
    if (this.seen !== null) {
      const key = tableKey(schema, name, operation);
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    list.push(Object.freeze({ schema, name, operation }));
  }
}

/** Up to this many tables, TableSet finds duplicates by a scan. */
const SCAN_TABLES = 16;

function tableKey(schema: string | null, name: string, operation: AccessOperation): string {
  return `${schema ?? ""}\u0000${name}\u0000${operation}`;
}

// Work items of the walk. It keeps its own stack instead of recursing: PostgreSQL's parser accepts trees
// (a UNION ALL of 5,000 SELECTs, `a + a + …` with 7,000 terms) deeper than the JS stack would take.
const VISIT = 0; // (node, op)
const ENTER = 1; // (SELECT or DML body, DML target operation or null): bring its WITH into scope, then BODY
const BODY = 2; // (same): its WITH is in scope, walk the rest
const CTE_NAME = 3; // (name): from here on, a CTE of that name is in scope
const RESTORE = 4; // (scope length): leave a WITH

/** What one statement does, found while walking it. */
class StatementWalk {
  writes = false;
  locking = false;
  createsTemp = false;
  readonly functions: FunctionRef[] = [];
  readonly settings: SettingChange[] = [];
  /** CTE names in scope, innermost last; a CTE hides a table of the same unqualified name. */
  private readonly ctes: string[] = [];
  /** Triples (item, a, b); the top runs first. */
  private readonly stack: unknown[] = [];

  constructor(private readonly tables: TableSet) {}

  walk(root: unknown, op: AccessOperation): void {
    const stack = this.stack;
    stack.push(VISIT, root, op);
    while (stack.length > 0) {
      const b = stack.pop();
      const a = stack.pop();
      switch (stack.pop() as number) {
        case VISIT:
          this.visit(a, b as AccessOperation, null);
          break;
        case ENTER:
          this.enter(a as Json, b as AccessOperation | null);
          break;
        case BODY:
          this.visit(a, "select", b as AccessOperation | null);
          break;
        case CTE_NAME:
          this.ctes.push(a as string);
          break;
        case RESTORE:
          this.ctes.length = a as number;
          break;
      }
    }
  }

  /**
   * Queues the children of one node so that they run in source order. `target`: the node is a DML body
   * and this operation is done on its `relation`.
   */
  private visit(value: unknown, op: AccessOperation, target: AccessOperation | null): void {
    if (typeof value !== "object" || value === null) return;
    const stack = this.stack;
    const first = stack.length;
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === "object" && item !== null) stack.push(VISIT, item, op);
    } else {
      // Keys are tested inside one for…in loop: a named property load on every node, each of a different
      // shape, costs more than the rest of the walk.
      const node = value as Json;
      for (const key in node) {
        if (key === "relname") {
          if (typeof node.relname === "string") return this.table(node, op, true);
          continue;
        }
        const child = node[key];
        if (typeof child !== "object" || child === null) continue;
        switch (key) {
          case "withClause":
            break; // only SELECT and DML bodies have one, and `enter` took care of it
          case "relation":
            if (target !== null) this.table(child as Json, target, false); // a DML target is never a CTE
            else stack.push(VISIT, child, op);
            break;
          case "lockingClause":
            // Its `lockedRels` name FROM items (aliases included), not tables.
            this.locking = true;
            break;
          case "intoClause": // SELECT … INTO creates a table
            this.writes = true;
            stack.push(VISIT, child, "ddl");
            break;
          case "SelectStmt":
          case "larg": // the arms of UNION/INTERSECT/EXCEPT are bare SelectStmt bodies
          case "rarg":
            stack.push(ENTER, child, null);
            break;
          case "InsertStmt":
          case "UpdateStmt":
          case "DeleteStmt":
          case "MergeStmt":
            this.writes = true;
            stack.push(ENTER, child, DML_OPERATION[key]!);
            break;
          case "CopyStmt":
            stack.push(ENTER, child, "copy");
            break;
          case "TruncateStmt":
            stack.push(VISIT, (child as Json).relations, "truncate");
            break;
          case "FuncCall":
            this.call(child as Json);
            stack.push(VISIT, child, op);
            break;
          default:
            stack.push(VISIT, child, op);
        }
      }
    }
    reverseTriples(stack, first);
  }

  /** Each CTE sees the ones before it (all of them when RECURSIVE); the body sees them all; then they go. */
  private enter(body: Json, target: AccessOperation | null): void {
    const withClause = body.withClause as Json | undefined;
    if (withClause === undefined) return this.visit(body, "select", target);
    const stack = this.stack;
    const ctes = ((withClause.ctes ?? []) as Json[]).map((c) => (c.CommonTableExpr ?? {}) as Json);
    const recursive = withClause.recursive === true;
    stack.push(RESTORE, this.ctes.length, null);
    stack.push(BODY, body, target);
    for (let i = ctes.length - 1; i >= 0; i--) {
      if (!recursive) stack.push(CTE_NAME, String(ctes[i]!.ctename ?? ""), null);
      stack.push(VISIT, ctes[i]!.ctequery, "select");
    }
    if (recursive) for (const cte of ctes) this.ctes.push(String(cte.ctename ?? ""));
  }

  table(rangeVar: Json, op: AccessOperation, maybeCte: boolean): void {
    const name = rangeVar.relname as string;
    const schema = typeof rangeVar.schemaname === "string" ? rangeVar.schemaname : null;
    if (maybeCte && schema === null && this.ctes.includes(name)) return;
    if (op === "ddl" && (rangeVar.relpersistence === "t" || schema === "pg_temp")) this.createsTemp = true;
    this.tables.add(schema, name, op);
  }

  /** A function called by name; `set_config('search_path', …)` also changes the search path. */
  call(funcCall: Json): void {
    const fn = functionRef(funcCall.funcname);
    if (fn === null) return;
    this.functions.push(fn);
    if (fn.name !== "set_config" || (fn.schema !== null && fn.schema !== "pg_catalog")) return;
    const args = (funcCall.args ?? []) as Json[];
    const setting = stringConstant(args[0]);
    if (setting === null) {
      this.settings.push({ kind: "search_path_unknown" });
      return;
    }
    if (setting.toLowerCase() !== "search_path") return;
    const value = stringConstant(args[1]);
    if (value === null) this.settings.push({ kind: "search_path_unknown" });
    else this.settings.push({ kind: "search_path", schemas: splitSearchPath(value), local: booleanConstant(args[2]) !== false });
  }

  /** DROP TABLE a, s.b / COMMENT ON TABLE …: relations named by String lists. */
  namedObjects(objectType: unknown, objects: unknown[]): void {
    const wholeName = RELATION_OBJECTS.has(objectType as string);
    if (!wholeName && !OBJECTS_ON_RELATION.has(objectType as string)) return;
    for (const object of objects) {
      const items = ((object as Json).List as Json | undefined)?.items as Json[] | undefined;
      if (items === undefined) continue;
      const names = items.map((i) => String((i.String as Json | undefined)?.sval ?? ""));
      if (!wholeName) names.pop();
      const name = names.pop();
      if (name !== undefined) this.tables.add(names.pop() ?? null, name, "ddl");
    }
  }
}

interface StatementFacts {
  type: string;
  readOnly: boolean;
  forUpdate: boolean;
  setsSessionState: boolean;
  literalSensitive: boolean;
}

/** What the access decision needs beyond tables, gathered across EXPLAIN's inner statement too. */
class StatementExtras {
  readonly functions: FunctionRef[] = [];
  readonly opaque: FunctionRef[] = [];
  readonly settings: SettingChange[] = [];
  take(w: StatementWalk): void {
    this.functions.push(...w.functions);
    this.settings.push(...w.settings);
  }
}

function analyzeStatement(stmt: Json, tables: TableSet, extras: StatementExtras): StatementFacts {
  const type = Object.keys(stmt)[0] ?? "";
  const body = (stmt[type] ?? {}) as Json;
  const kind = kindOfNode(type);
  const w = new StatementWalk(tables);
  let readOnly = false;
  let setsSessionState = false;
  let literalSensitive = false;

  switch (type) {
    case "SelectStmt":
      w.walk(stmt, "select");
      readOnly = !w.writes && !w.locking;
      break;
    case "VariableShowStmt":
      readOnly = true;
      break;
    case "ExplainStmt": {
      // Judged by the statement it explains (EXPLAIN ANALYZE runs it; PostgreSQL checks its privileges either way).
      const inner = analyzeStatement((body.query ?? {}) as Json, tables, extras);
      const analyze = explainAnalyzes(body.options);
      readOnly = inner.type !== "ExecuteStmt" && (!analyze || inner.readOnly);
      setsSessionState = analyze && inner.setsSessionState;
      return { type, readOnly, forUpdate: inner.forUpdate, setsSessionState, literalSensitive: inner.literalSensitive };
    }
    case "VariableSetStmt":
      setsSessionState = body.is_local !== true && body.name !== "TRANSACTION" && body.name !== "TRANSACTION SNAPSHOT";
      literalSensitive = variableSetting(body, extras);
      break;
    case "DoStmt":
      extras.opaque.push({ schema: null, name: "do" });
      break;
    case "ExecuteStmt":
      extras.opaque.push({ schema: null, name: "execute" });
      w.walk(body.params, "select");
      break;
    case "LoadStmt":
      setsSessionState = true;
      extras.opaque.push({ schema: null, name: "load" });
      break;
    case "CallStmt": {
      const fn = functionRef(((body.funccall ?? {}) as Json).funcname);
      extras.opaque.push(fn ?? { schema: null, name: "call" });
      w.walk((body.funccall as Json | undefined)?.args, "select");
      break;
    }
    case "DiscardStmt":
      if (body.target === "DISCARD_ALL") extras.settings.push({ kind: "search_path", schemas: null, local: false });
      setsSessionState = true;
      break;
    case "PrepareStmt":
    case "ListenStmt":
    case "UnlistenStmt":
      setsSessionState = true;
      w.walk(stmt, "select");
      break;
    case "DeclareCursorStmt":
      setsSessionState = (((body.options as number | undefined) ?? 0) & CURSOR_OPT_HOLD) !== 0;
      w.walk(stmt, "select");
      break;
    case "DropStmt":
      w.namedObjects(body.removeType, (body.objects ?? []) as unknown[]);
      break;
    case "CommentStmt":
    case "SecLabelStmt":
      w.namedObjects(body.objtype, [body.object]);
      break;
    case "LockStmt":
      // ACCESS SHARE needs SELECT in PostgreSQL; every stronger mode needs a write privilege.
      w.walk(body.relations, body.mode === 1 ? "select" : "update");
      break;
    case "CopyStmt":
      w.walk(stmt, "select");
      // A server-side file or program: what it reads or writes is outside every table rule.
      if (typeof body.filename === "string") extras.opaque.push({ schema: null, name: body.is_program === true ? "copy_program" : "copy_file" });
      break;
    default:
      w.walk(stmt, kind === "ddl" || MAINTENANCE.has(type) ? "ddl" : "select");
  }
  // DDL on no relation (CREATE FUNCTION, CREATE SCHEMA, DROP SCHEMA, GRANT, ALTER SYSTEM, VACUUM of everything …)
  // is still DDL: judged as ddl on `*`, so only a rule covering every table allows it.
  if ((kind === "ddl" || MAINTENANCE.has(type)) && !tables.list.some((t) => t.operation === "ddl")) tables.add(null, "*", "ddl");
  extras.take(w);
  // A temp table dropped at commit leaves nothing behind on the connection.
  const dropsAtCommit = body.oncommit === "ONCOMMIT_DROP" || (body.into as Json | undefined)?.onCommit === "ONCOMMIT_DROP";
  const createsTemp = w.createsTemp && !dropsAtCommit;
  return { type, readOnly, forUpdate: w.locking, setsSessionState: setsSessionState || createsTemp, literalSensitive: literalSensitive || w.settings.length > 0 };
}

/** SET/RESET of search_path, role or session authorization. True when the analysis depends on the literal values. */
function variableSetting(body: Json, extras: StatementExtras): boolean {
  const name = typeof body.name === "string" ? body.name.toLowerCase() : "";
  const kind = body.kind as string | undefined;
  if (kind === "VAR_RESET_ALL") {
    extras.settings.push({ kind: "search_path", schemas: null, local: false });
    return false;
  }
  if (name === "role" || name === "session_authorization") {
    const value = stringConstant(((body.args ?? []) as Json[])[0]);
    // Back to the backend's own user is harmless; any other role would change privileges and `$user`.
    const reset = kind === "VAR_RESET" || kind === "VAR_SET_DEFAULT" || (name === "role" && value?.toLowerCase() === "none");
    if (!reset) extras.opaque.push({ schema: null, name: "set_role" });
    return true;
  }
  if (name !== "search_path") return false;
  const local = body.is_local === true;
  if (kind === "VAR_RESET" || kind === "VAR_SET_DEFAULT") extras.settings.push({ kind: "search_path", schemas: null, local });
  else if (kind === "VAR_SET_VALUE") {
    const schemas: string[] = [];
    for (const arg of (body.args ?? []) as Json[]) {
      const v = stringConstant(arg);
      if (v === null) {
        extras.settings.push({ kind: "search_path_unknown" });
        return true;
      }
      // Each argument is one schema name, verbatim (search_path is GUC_LIST_QUOTE: PostgreSQL quotes each
      // one, so 'a, b' names a single schema "a, b" and 'Audit' keeps its case). Only set_config's text is a list.
      schemas.push(v);
    }
    extras.settings.push({ kind: "search_path", schemas, local });
  }
  return true;
}

/** `schema.name` or `name` of a FuncCall's funcname (a list of String nodes). */
function functionRef(funcname: unknown): FunctionRef | null {
  if (!Array.isArray(funcname) || funcname.length === 0) return null;
  const names = (funcname as Json[]).map((n) => String(((n.String as Json | undefined)?.sval ?? "") as string));
  const name = names[names.length - 1]!.toLowerCase();
  const schema = names.length > 1 ? names[names.length - 2]!.toLowerCase() : null;
  return { schema, name };
}

/** A string (or name) constant, possibly under a cast; null for anything computed. */
function stringConstant(node: unknown): string | null {
  let n = node as Json | undefined;
  if (n?.TypeCast !== undefined) n = (n.TypeCast as Json).arg as Json | undefined;
  const c = n?.A_Const as Json | undefined;
  const sval = (c?.sval as Json | undefined)?.sval;
  return typeof sval === "string" ? sval : c !== undefined && c.sval !== undefined ? "" : null;
}

function booleanConstant(node: unknown): boolean | null {
  let n = node as Json | undefined;
  if (n?.TypeCast !== undefined) n = (n.TypeCast as Json).arg as Json | undefined;
  const c = n?.A_Const as Json | undefined;
  if (c === undefined) return null;
  if (c.boolval !== undefined) return (c.boolval as Json).boolval === true;
  const s = stringConstant(n);
  if (s !== null) return ["true", "on", "1", "yes", "t"].includes(s.toLowerCase());
  return null;
}

/** `audit, "Public"` → ["audit", "Public"]: PostgreSQL's own reading of a search_path value. */
function splitSearchPath(value: string): string[] {
  const out: string[] = [];
  for (const raw of value.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    out.push(item.startsWith('"') && item.endsWith('"') && item.length >= 2 ? item.slice(1, -1).replaceAll('""', '"') : item.toLowerCase());
  }
  return out;
}

/** EXPLAIN ANALYZE, EXPLAIN (ANALYZE), EXPLAIN (ANALYZE true|on|1) — but not (ANALYZE false|off|0). */
function explainAnalyzes(options: unknown): boolean {
  if (!Array.isArray(options)) return false;
  for (const option of options as Json[]) {
    const def = option.DefElem as Json | undefined;
    if (def?.defname !== "analyze") continue;
    const arg = def.arg as Json | undefined;
    if (arg === undefined) return true;
    if (arg.String !== undefined) {
      return !["false", "off", "0", "no"].includes(String((arg.String as Json).sval ?? "").toLowerCase());
    }
    if (arg.Integer !== undefined) return ((arg.Integer as Json).ival ?? 0) !== 0;
    if (arg.Boolean !== undefined) return (arg.Boolean as Json).boolval === true;
    return true;
  }
  return false;
}

function transactionOf(stmt: Json): TransactionCommand | null {
  const body = stmt.TransactionStmt as Json | undefined;
  if (body === undefined) return null;
  return TRANSACTION_BY_KIND[body.kind as string] ?? "other";
}

/**
 * `matchTexts` computes the statements' match texts; it runs on the first read of the result's `matchTexts`
 * (only circuit breaks and routing rules with a regex read them), at most once, and is then let go.
 */
export function analyzeTree(tree: ParseTree, matchTexts: () => readonly string[] = () => []): StatementAnalysis {
  const stmts = tree.stmts ?? [];
  const tables = new TableSet();
  const parts: AccessStatement[] = [];
  let readOnly = stmts.length > 0;
  let forUpdate = false;
  let setsSessionState = false;
  let literalSensitive = false;
  let kind: StatementKind = "other";
  stmts.forEach(({ stmt }, i) => {
    const own = new TableSet();
    const extras = new StatementExtras();
    const facts = analyzeStatement(stmt, own, extras);
    const partKind = facts.type === "SelectStmt" && facts.forUpdate ? "select_for_update" : kindOfNode(facts.type);
    if (i === 0) kind = partKind;
    for (const t of own.list) tables.add(t.schema, t.name, t.operation);
    parts.push(
      Object.freeze({
        kind: partKind,
        tables: frozen(own.list),
        functions: frozen(extras.functions),
        opaque: frozen(extras.opaque),
        settings: frozen(extras.settings),
      }),
    );
    readOnly &&= facts.readOnly;
    forUpdate ||= facts.forUpdate;
    setsSessionState ||= facts.setsSessionState;
    literalSensitive ||= facts.literalSensitive;
  });
  const first = stmts[0]?.stmt;
  return Object.freeze(
    new Analysis(
      kind,
      stmts.length,
      readOnly,
      forUpdate,
      first === undefined ? null : transactionOf(first),
      setsSessionState,
      // Results are shared by every caller through the cache: nobody may change one.
      Object.freeze(tables.list) as TableRef[],
      Object.freeze(parts),
      literalSensitive,
      null,
      matchTexts,
    ),
  );
}

/**
 * A StatementAnalysis. A class, not an object literal with its own `matchTexts` getter: V8 gives every such
 * literal its own accessor and, once frozen, a dictionary of its properties, which made building one 4 µs
 * instead of 1 (a quarter of a whole cache miss on a short statement). The getter here is the prototype's and
 * the memo a private field, which a frozen object still lets the class set. `matchTexts` is therefore not an own
 * property: a spread or JSON.stringify of an analysis leaves it out (nothing does either outside tests).
 */
class Analysis implements StatementAnalysis {
  #compute: (() => readonly string[]) | null;
  #texts: readonly string[] | null = null;

  constructor(
    readonly kind: StatementKind,
    readonly statements: number,
    readonly readOnly: boolean,
    readonly forUpdate: boolean,
    readonly transaction: TransactionCommand | null,
    readonly setsSessionState: boolean,
    readonly tables: TableRef[],
    readonly parts: readonly AccessStatement[],
    readonly literalSensitive: boolean,
    readonly error: string | null,
    compute: (() => readonly string[]) | null,
  ) {
    this.#compute = compute;
  }

  /** Computed on first read, once; the closure that computes them (holding the statement text) is then let go. */
  get matchTexts(): readonly string[] {
    if (this.#texts === null) {
      this.#texts = Object.freeze(this.#compute?.() ?? []);
      this.#compute = null;
    }
    return this.#texts;
  }
}

export function failedAnalysis(error: string): StatementAnalysis {
  return Object.freeze(new Analysis("other", 0, false, false, null, false, Object.freeze([] as TableRef[]) as TableRef[], NONE, false, error, null));
}

const NONE: readonly never[] = Object.freeze([]);

/** The list frozen; an empty one is the shared NONE (most statements call no function and change no setting). */
function frozen<T>(list: T[]): readonly T[] {
  return list.length === 0 ? NONE : Object.freeze(list);
}

/** Reverses the order of the (item, a, b) triples from `from` to the top of the stack. */
function reverseTriples(stack: unknown[], from: number): void {
  for (let i = from, j = stack.length - 3; i < j; i += 3, j -= 3) {
    for (let k = 0; k < 3; k++) {
      const t = stack[i + k];
      stack[i + k] = stack[j + k];
      stack[j + k] = t;
    }
  }
}
