import { type AccessRuleForEvaluation, tablePatternMatches, type TableAccess } from "./access-evaluate";
import type { AccessOperation, StatementKind } from "./schemas";

// The access decision for a whole statement text, shared by the agent (on the wire, per Query/Parse/
// FunctionCall) and the console's "try a statement": the same input (packages/sql's analysis, one entry per
// statement), the same rules, the same answer. Pure; the agent caches results per analysis.
//
// What it decides, statement by statement, in order (a SET earlier in a text changes how later names resolve):
// - every table with its operation, against the rules (first match, most specific first) or the default;
// - an unqualified table must be allowed in *every* schema the session's search path may hold, so no
//   `SET search_path` can move a name out from under a rule, whichever schemas hold a table of that name;
// - `copy` and `call` never fall to the default: COPY, DO, EXECUTE of a prepared statement, CALL, LOAD and
//   calls of dangerous functions run SQL or touch files the agent cannot see, so only a rule allowing them
//   (operation `call`/`copy` or `all`, on a pattern that covers the function or pseudo-name) lets them pass —
//   in a governed virtual database (see isGoverned); one with no rule and the default "allow" is a plain proxy.

export interface FunctionRef {
  schema: string | null;
  name: string;
}

/** A change to session state that decides how later names resolve. */
export type SettingChange =
  /** `schemas` null: back to the default (RESET, SET … TO DEFAULT, RESET ALL, DISCARD ALL). */
  | { kind: "search_path"; schemas: readonly string[] | null; local: boolean }
  /** A search path the agent cannot read (set_config with computed arguments). */
  | { kind: "search_path_unknown" };

/** One statement of a text, as packages/sql analyzes it. */
export interface AccessStatement {
  kind: StatementKind;
  tables: readonly TableAccess[];
  /** Functions called by name (dangerous ones are refused unless a rule allows `call` on them). */
  functions: readonly FunctionRef[];
  /**
   * What always needs a rule allowing `call`: DO blocks (`do`), EXECUTE of a prepared statement (`execute`),
   * LOAD (`load`), COPY to or from a server file or program (`copy_file`, `copy_program`), SET ROLE / SET
   * SESSION AUTHORIZATION (`set_role`), and the procedure of a CALL.
   */
  opaque: readonly FunctionRef[];
  settings: readonly SettingChange[];
}

/**
 * Functions refused unless a rule allows `call` on them: they read or write server files, run SQL given as
 * text (so their tables cannot be known), reach other servers, signal backends or change configuration.
 * `*` matches any run. A virtual database adds its own names (`dangerousFunctions`).
 */
export const BUILTIN_DANGEROUS_FUNCTIONS: readonly string[] = [
  "pg_read_file",
  "pg_read_binary_file",
  "pg_ls_*",
  "pg_stat_file",
  "pg_file_*",
  "lo_import",
  "lo_export",
  "dblink*",
  "pg_terminate_backend",
  "pg_cancel_backend",
  "pg_signal_backend",
  "pg_reload_conf",
  "pg_rotate_logfile",
  "pg_promote",
  "pg_switch_wal",
  "pg_create_restore_point",
  "pg_backup_start",
  "pg_backup_stop",
  "pg_start_backup",
  "pg_stop_backup",
  "set_config",
  "query_to_xml*",
  "table_to_xml*",
  "cursor_to_xml*",
  "schema_to_xml*",
  "database_to_xml*",
  "ts_stat",
  "pg_logical_emit_message",
];

/** The search path the agent assumes for a fresh session: PostgreSQL's default `"$user", public`, with no schema named after the backend user. */
export const DEFAULT_SEARCH_PATH: readonly string[] = ["public"];

/**
 * The schemas an unqualified name may resolve to when a session of a virtual database starts: its own
 * `searchPath` (which the agent sends to the backends at login, so both agree), else the server default.
 */
export function initialSearchPath(vdbSearchPath: readonly string[] | undefined): SearchPathCandidates {
  if (vdbSearchPath === undefined || vdbSearchPath.length === 0) return DEFAULT_SEARCH_PATH;
  return expandSearchPath(vdbSearchPath, []);
}

export interface AccessPolicy {
  virtualDatabase: string;
  /** Most specific first (compile() orders them). */
  rules: readonly AccessRuleForEvaluation[];
  defaultEffect: "ALLOW" | "DENY";
  /** The built-in list plus the virtual database's own names. */
  dangerousFunctions: readonly string[];
  /**
   * Where a session starts, and where RESET / DISCARD ALL bring it back (see initialSearchPath); absent: the
   * server default.
   */
  searchPath?: SearchPathCandidates;
}

export interface DecidedTable {
  schema: string;
  name: string;
  operation: string;
  allowed: boolean;
  rule: string | null;
}

export interface StatementDecisionResult {
  allowed: boolean;
  /** The rule that decided: the refusing one, else the last allowing one; null when the default decided. */
  rule: string | null;
  /** Every table (an unqualified one once per schema it may resolve to) and every opaque or dangerous call. */
  tables: DecidedTable[];
  /** In words, for the error message and the console. */
  reason: string;
  /** Index of the refused statement in the text, -1 when allowed. */
  refusedStatement: number;
}

/** Schemas an unqualified name may resolve to: every one ever set in the session (a superset is safe). */
export type SearchPathCandidates = readonly string[];

/** Names of what is not a function but is judged as a call (see AccessStatement.opaque). */
export const PSEUDO_CALLS: ReadonlySet<string> = new Set(["do", "execute", "load", "copy_file", "copy_program", "set_role", "function_call"]);

/** Call/copy need an explicit rule; everything else may fall to the default. */
const EXPLICIT_OPERATIONS: ReadonlySet<string> = new Set(["call", "copy"]);

function findRule(rules: readonly AccessRuleForEvaluation[], credential: string, operation: string, schema: string, name: string) {
  for (const r of rules) {
    if (r.credential !== null && r.credential !== credential) continue;
    if (!r.operations.includes("all") && !r.operations.includes(operation as AccessOperation)) continue;
    if (tablePatternMatches(r.table, schema, name)) return r;
  }
  return undefined;
}

/**
 * A virtual database with no access rule and the default "allow" is not governed: a plain proxy, where COPY,
 * DO and every function work as on PostgreSQL. The first rule (or the default "deny") turns governance on.
 */
export function isGoverned(policy: AccessPolicy): boolean {
  return policy.rules.length > 0 || policy.defaultEffect === "DENY";
}

function judge(policy: AccessPolicy, credential: string, schema: string, name: string, operation: string): DecidedTable {
  const rule = findRule(policy.rules, credential, operation, schema, name);
  const explicit = EXPLICIT_OPERATIONS.has(operation) && isGoverned(policy);
  const allowed = rule ? rule.effect === "ALLOW" : !explicit && policy.defaultEffect === "ALLOW";
  return { schema, name, operation, allowed, rule: rule?.name ?? null };
}

function isDangerous(policy: AccessPolicy, fn: FunctionRef): boolean {
  const schema = fn.schema ?? "pg_catalog";
  for (const pattern of policy.dangerousFunctions) if (tablePatternMatches(pattern, schema, fn.name)) return true;
  return false;
}

/**
 * Applies a statement's search-path changes to the candidates (never narrowing: see the agent's session for when
 * it may). `initial`: the session's starting path, what a RESET goes back to.
 */
export function widenSearchPath(
  candidates: SearchPathCandidates,
  settings: readonly SettingChange[],
  userSchemas: readonly string[],
  initial: SearchPathCandidates = DEFAULT_SEARCH_PATH,
): SearchPathCandidates {
  let out = candidates;
  for (const s of settings) {
    const add = s.kind === "search_path_unknown" ? ["*"] : s.schemas === null ? initial : expandSearchPath(s.schemas, userSchemas);
    for (const schema of add) if (!out.includes(schema)) out = [...out, schema];
  }
  return out;
}

/** `$user` becomes the backend users' own schemas; pg_catalog and pg_temp are left out (see below). */
export function expandSearchPath(schemas: readonly string[], userSchemas: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of schemas) {
    const schema = raw.trim();
    // pg_catalog is handled where names resolve (only pg_* names live there; see decideStatements), and
    // pg_temp is the session's own temporary schema: a name resolved there reaches nothing a rule protects.
    if (schema === "" || schema === "pg_catalog" || schema === "pg_temp" || schema.startsWith("pg_temp_")) continue;
    const names = schema === "$user" ? userSchemas : [schema];
    for (const n of names) if (!out.includes(n)) out.push(n);
  }
  return out;
}

function describe(t: DecidedTable, policy: AccessPolicy): string {
  const what = t.operation === "call" ? `call of ${t.schema === "" ? t.name : `${t.schema}.${t.name}`}` : `${t.operation} on ${t.schema}.${t.name}`;
  if (t.rule !== null) return `${what} is refused by access rule "${t.rule}" of virtual database "${policy.virtualDatabase}"`;
  if (EXPLICIT_OPERATIONS.has(t.operation)) {
    return `${what} is refused: no access rule of virtual database "${policy.virtualDatabase}" allows ${t.operation === "copy" ? "COPY" : "it"} (the default never does)`;
  }
  return `${what} is refused by the default of virtual database "${policy.virtualDatabase}" (deny)`;
}

/**
 * The decision for a text's statements, in order. `searchPath` holds the schemas an unqualified name may
 * resolve to when the text starts (absent: the policy's initial path); SETs inside the text widen it for the
 * statements after them.
 */
export function decideStatements(input: {
  policy: AccessPolicy;
  credential: string;
  statements: readonly AccessStatement[];
  searchPath?: SearchPathCandidates;
  /** What `$user` in a search path may name: the backend users. */
  userSchemas?: readonly string[];
  /** A parse error (or an unreadable text): refused, fail closed. */
  error?: string | null;
}): StatementDecisionResult {
  const { policy, credential } = input;
  if (input.error) {
    return { allowed: false, rule: null, tables: [], reason: `the statement cannot be parsed, so it is refused (fail closed): ${input.error}`, refusedStatement: 0 };
  }
  const userSchemas = input.userSchemas ?? [];
  const initial = policy.searchPath ?? DEFAULT_SEARCH_PATH;
  let path = input.searchPath ?? initial;
  const decided: DecidedTable[] = [];
  for (let i = 0; i < input.statements.length; i++) {
    const st = input.statements[i]!;
    const start = decided.length;
    for (const t of st.tables) {
      if (t.schema === null && path.includes("*")) {
        const unknown = { schema: "?", name: t.name, operation: t.operation, allowed: false, rule: null };
        decided.push(unknown);
        const reason = `${t.operation} on ${t.name} is refused: the session's search_path was set in a way the agent cannot follow (set_config with computed arguments), so this name could resolve to any schema; qualify it with its schema`;
        return { allowed: false, rule: null, tables: decided, reason, refusedStatement: i };
      }
      // PostgreSQL searches pg_catalog before the path (unless the path names it later), and every relation
      // there is named pg_*: such a name may be a system catalog, whatever the path says.
      const schemas = t.schema !== null ? [t.schema] : t.name.startsWith("pg_") ? ["pg_catalog", ...path] : path;
      for (const schema of schemas) {
        decided.push(judge(policy, credential, schema, t.name, t.operation));
        // COPY (query) TO …: the query's tables leave the database through COPY, which needs its own allowance.
        if (st.kind === "copy" && t.operation !== "copy") decided.push(judge(policy, credential, schema, t.name, "copy"));
        // SELECT … FOR UPDATE/SHARE locks rows: PostgreSQL asks for UPDATE privilege, so do the rules.
        if (st.kind === "select_for_update" && t.operation === "select") decided.push(judge(policy, credential, schema, t.name, "update"));
      }
    }
    for (const fn of st.opaque) {
      if (fn.schema !== null) decided.push(judge(policy, credential, fn.schema, fn.name, "call"));
      else if (PSEUDO_CALLS.has(fn.name)) decided.push(judge(policy, credential, "", fn.name, "call"));
      // An unqualified procedure resolves like a table: it must be allowed in every schema it may live in.
      else for (const schema of path) decided.push(judge(policy, credential, schema, fn.name, "call"));
    }
    for (const fn of st.functions) {
      if (isDangerous(policy, fn)) decided.push(judge(policy, credential, fn.schema ?? "pg_catalog", fn.name, "call"));
    }
    for (let j = start; j < decided.length; j++) {
      const t = decided[j]!;
      if (!t.allowed) return { allowed: false, rule: t.rule, tables: decided, reason: describe(t, policy), refusedStatement: i };
    }
    path = widenSearchPath(path, st.settings, userSchemas, initial);
  }
  let lastAllow: DecidedTable | undefined;
  for (const t of decided) if (t.rule !== null) lastAllow = t;
  return {
    allowed: true,
    rule: lastAllow?.rule ?? null,
    tables: decided,
    reason:
      decided.length === 0
        ? "the statement touches no table"
        : lastAllow
          ? `allowed by access rule "${lastAllow.rule}"`
          : `allowed by the default of virtual database "${policy.virtualDatabase}" (allow)`,
    refusedStatement: -1,
  };
}

/** The policy of a compiled virtual database. */
export function accessPolicyOf(vdb: {
  name: string;
  accessRules: readonly AccessRuleForEvaluation[];
  accessDefault: "allow" | "deny";
  dangerousFunctions: readonly string[];
  searchPath?: readonly string[];
}): AccessPolicy {
  return {
    virtualDatabase: vdb.name,
    rules: vdb.accessRules,
    defaultEffect: vdb.accessDefault === "deny" ? "DENY" : "ALLOW",
    dangerousFunctions: [...BUILTIN_DANGEROUS_FUNCTIONS, ...vdb.dangerousFunctions],
    searchPath: initialSearchPath(vdb.searchPath),
  };
}
