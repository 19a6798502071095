import {
  type AccessPolicy,
  type AccessStatement,
  accessPolicyOf,
  DEFAULT_SEARCH_PATH,
  decideStatements,
  type SearchPathCandidates,
  type SettingChange,
  widenSearchPath,
  expandSearchPath,
} from "@dbmesh/mesh";
import type { StatementAnalysis } from "@dbmesh/sql";
import type { VirtualDatabaseRuntime } from "../config/snapshot";
import { SQLSTATE_ACCESS_DENIED, SQLSTATE_SYNTAX_ERROR, type StatementDecision } from "./statement-decision";

// Access rules on the wire, with the same decideStatements() as the console's "try a statement". A decision is
// a pure function of (statement text, credential, config revision, search path): it is cached per analysis
// object (the analyzer hands out one frozen analysis per distinct text or literal shape — and never shares one
// whose meaning depends on a literal, see `literalSensitive`) in a per-credential cache that lives as long as
// the virtual database's runtime of one config revision. A session on its initial search path (the virtual
// database's `searchPath`, which the agent also sends to the backends at login; else the server default), the
// common case, pays one WeakMap lookup per statement.

/** The FunctionCall message names a function by OID only: it is judged as a call of this pseudo-name. */
export const FUNCTION_CALL_NAME = "function_call";
const FUNCTION_CALL: readonly AccessStatement[] = [
  { kind: "call", tables: [], functions: [], opaque: [{ schema: null, name: FUNCTION_CALL_NAME }], settings: [] },
];

/** One virtual database × credential at one config revision. */
export class CredentialAccess {
  private readonly cache = new WeakMap<StatementAnalysis, StatementDecision>();
  readonly functionCall: StatementDecision;
  /** Where this virtual database's sessions start, and where RESET / DISCARD ALL bring them back. */
  readonly initialPath: SearchPathCandidates;

  constructor(
    readonly policy: AccessPolicy,
    readonly credential: string,
    /** What `$user` in a search path names: the users the agent logs in to backends as. */
    readonly userSchemas: readonly string[],
  ) {
    this.initialPath = policy.searchPath ?? DEFAULT_SEARCH_PATH;
    this.functionCall = this.compute(FUNCTION_CALL, null, "call", this.initialPath);
  }

  /** The decision on the initial search path (cached). */
  decide(analysis: StatementAnalysis): StatementDecision {
    let d = this.cache.get(analysis);
    if (d === undefined) {
      d = this.compute(analysis.parts, analysis.error, analysis.kind, this.initialPath);
      this.cache.set(analysis, d);
    }
    return d;
  }

  /** The decision on a search path the session changed (not cached: such sessions are rare). */
  decideWith(analysis: StatementAnalysis, searchPath: SearchPathCandidates): StatementDecision {
    return this.compute(analysis.parts, analysis.error, analysis.kind, searchPath);
  }

  private compute(
    statements: readonly AccessStatement[],
    error: string | null,
    kind: StatementAnalysis["kind"],
    searchPath: SearchPathCandidates,
  ): StatementDecision {
    const r = decideStatements({ policy: this.policy, credential: this.credential, statements, error, searchPath, userSchemas: this.userSchemas });
    return Object.freeze({
      kind,
      tables: Object.freeze(r.tables),
      allowed: r.allowed,
      rule: r.rule,
      reason: error ? `syntax error: ${error} (dbmesh refuses what it cannot parse)` : `permission denied: ${r.reason}`,
      sqlstate: r.allowed ? null : error ? SQLSTATE_SYNTAX_ERROR : SQLSTATE_ACCESS_DENIED,
    });
  }
}

interface VdbAccess {
  policy: AccessPolicy;
  userSchemas: readonly string[];
  byCredential: Map<string, CredentialAccess>;
}

const byRuntime = new WeakMap<VirtualDatabaseRuntime, VdbAccess>();

/** The access of `credential` on a virtual database's runtime (one config revision): shared by its sessions. */
export function credentialAccess(vdb: VirtualDatabaseRuntime, credential: string): CredentialAccess {
  let v = byRuntime.get(vdb);
  if (v === undefined) {
    v = {
      policy: accessPolicyOf(vdb.config),
      userSchemas: [...new Set(vdb.backends.map((b) => b.target.user))],
      byCredential: new Map(),
    };
    byRuntime.set(vdb, v);
  }
  let c = v.byCredential.get(credential);
  if (c === undefined) {
    c = new CredentialAccess(v.policy, credential, v.userSchemas);
    v.byCredential.set(credential, c);
  }
  return c;
}

/**
 * One session's view: the schemas an unqualified name may resolve to. SETs widen it at once (a superset only
 * makes decisions stricter); it narrows only when PostgreSQL has certainly applied a new path — a Query that
 * is a single SET of search_path (or RESET / DISCARD ALL), sent outside a transaction and answered without an
 * error by a ReadyForQuery with status idle — since a rolled-back SET (explicitly, or by an error later in its
 * implicit transaction) leaves the old path in force.
 */
export class SessionAccess {
  /** null: the initial search path (decisions come from the shared cache). */
  private candidates: SearchPathCandidates | null = null;
  /** Decisions on `candidates`, while they stay as they are. */
  private own = new WeakMap<StatementAnalysis, StatementDecision>();
  private sent = 0;
  private answered = 0;
  private errorInCycle = false;
  /** A path to narrow to once the ReadyForQuery numbered `at` confirms it. */
  private confirm: { at: number; path: SearchPathCandidates } | null = null;

  constructor(readonly access: CredentialAccess) {}

  /** The schemas an unqualified name may resolve to now; null: the initial search path. */
  get searchPath(): SearchPathCandidates | null {
    return this.candidates;
  }

  /** A FunctionCall message (no text to analyze: one decision per credential). */
  get functionCall(): StatementDecision {
    return this.access.functionCall;
  }

  decide(analysis: StatementAnalysis): StatementDecision {
    if (this.candidates === null) return this.access.decide(analysis);
    let d = this.own.get(analysis);
    if (d === undefined) {
      d = this.access.decideWith(analysis, this.candidates);
      this.own.set(analysis, d);
    }
    return d;
  }

  private setCandidates(next: SearchPathCandidates | null): void {
    if (next === this.candidates) return;
    this.candidates = next;
    this.own = new WeakMap();
  }

  /**
   * An allowed text was sent on: apply its search-path changes. `alone`: a simple Query outside a transaction,
   * whose own ReadyForQuery (the next one to be sent) can confirm its outcome.
   */
  forwarded(analysis: StatementAnalysis, alone: boolean): void {
    const parts = analysis.parts;
    let settings: readonly SettingChange[] | null = null;
    for (const p of parts) if (p.settings.length > 0) settings = settings === null ? p.settings : [...settings, ...p.settings];
    if (settings === null) return;
    const initial = this.access.initialPath;
    const current = this.candidates ?? initial;
    const widened = widenSearchPath(current, settings, this.access.userSchemas, initial);
    if (widened !== current) this.setCandidates(widened);
    const only = parts.length === 1 && settings.length === 1 ? settings[0]! : null;
    if (alone && only !== null && only.kind === "search_path" && !only.local) {
      // Sent before sentSync(): its ReadyForQuery is the next one counted.
      this.confirm = { at: this.sent + 1, path: only.schemas === null ? initial : expandSearchPath(only.schemas, this.access.userSchemas) };
    } else {
      this.confirm = null;
    }
  }

  /** A Query, Sync or FunctionCall went to the server. */
  sentSync(): void {
    this.sent++;
  }

  onError(): void {
    this.errorInCycle = true;
  }

  onReady(status: number): void {
    this.answered++;
    const c = this.confirm;
    if (c !== null && this.answered >= c.at) {
      this.confirm = null;
      // 0x49 'I': idle, the SET's transaction committed.
      if (this.answered === c.at && !this.errorInCycle && status === 0x49) {
        this.setCandidates(samePath(c.path, this.access.initialPath) ? null : c.path);
      }
    }
    this.errorInCycle = false;
  }
}

function samePath(a: SearchPathCandidates, b: SearchPathCandidates): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
