import type { SqlAnalyzer, StatementAnalysis } from "@dbmesh/sql";
import type { StatementDecision } from "../governance/statement-decision";
import { emptyArray } from "../empty-array";
import { Backend } from "../pg/protocol";
import { type AuditTable, type EventPart, eventPart, MAX_STATEMENT_CHARS } from "./audit-event";
import { normalizeStatement, splitStatements, statementFingerprint } from "./normalize";
import { type AuditPolicy, auditsAllowed } from "./policy";
import type { AuditRecorder } from "./recorder";

// One client session's side of the SQL audit. The session tells it what it sends (each statement of a Query,
// each Execute, each FunctionCall) and what it refuses; it matches the server's answers to them in order —
// CommandComplete (rows), EmptyQueryResponse, PortalSuspended, ErrorResponse (SQLSTATE) — and records one
// event per statement when it completes or is refused. Statements the server skipped after an error in the same
// cycle (the rest of a multi-statement Query, Executes up to the Sync) never ran and get no event. Answers are
// matched by cycle (one per Query/Sync/FunctionCall, answered in order by ReadyForQuery), so that an error
// answering a Parse of one cycle is never pinned on a statement of the next.
//
// Cheap on purpose: texts are normalized and fingerprinted once per analysis (the analyzer shares one analysis
// between texts that differ only in literal values), and an event is recorded by its parts (recordParts): the
// session's shared part for the statement's shape (EventPart, written to the spool once per segment), its time,
// duration, rows and SQLSTATE. A session keeps its last few parts: a transaction of several statements, run over
// and over, keeps naming the same ones.

/** Shared parts a session keeps: enough for a transaction of a few statement shapes run over and over. */
const PARTS_KEPT = 8;

interface KnownPart {
  /** What the part was last found for, by identity: the next event of the same shape and decision skips the lookups. */
  analysis: StatementAnalysis | null;
  decisionRef: StatementDecision | null;
  head: string;
  tables: string;
  decision: "allowed" | "denied";
  rule: string | null;
  backend: string | null;
  part: EventPart;
}

interface Pending {
  /** The statement text; for a statement of a multi-statement Query, just its piece. */
  sql: string;
  analysis: StatementAnalysis | null;
  backend: string | null;
  rule: string | null;
  /** The access decision on the text this statement came in (its tables have their schemas resolved). */
  decision: StatementDecision | null;
  /** One statement of a multi-statement text (the decision covers the whole text). */
  piece: boolean;
  occurredAt: number;
  startedAt: number;
  /** The cycle whose ReadyForQuery ends it. */
  cycle: number;
  /** Recorded when it completes (false: only kept to match answers in order). */
  audited: boolean;
}

interface Normalized {
  text: string;
  fingerprint: string;
  /** `"statement":…,"fingerprint":…,"kind":…` with the normalized text. */
  json: string;
  /** The analysis's tables as JSON (schemas as written: null when unqualified). */
  tablesJson: string;
}

export interface SessionAuditContext {
  recorder: AuditRecorder;
  analyzer: SqlAnalyzer;
  policy: AuditPolicy;
  virtualDatabase: string;
  credential: string;
  clientAddress: string | null;
  applicationName: string | null;
}

const NO_TABLES: readonly AuditTable[] = Object.freeze([]);
/** Refusals that are governance decisions: access rules and circuit breaks, limits, texts that cannot be analyzed. */
const GOVERNANCE_CODES = new Set(["42501", "53400", "54001"]);

function ruleFromMessage(message: string): string | null {
  return /(?:rule|circuit break|limit) "([^"]+)"/.exec(message)?.[1] ?? null;
}
/** Normalized text and fingerprint per analysis (see normalize.ts for why that is safe). */
const normalizedByAnalysis = new WeakMap<StatementAnalysis, Normalized>();
/** The tables of a decision as JSON (allowed decisions are cached and shared, so this is mostly a lookup). */
const tablesByDecision = new WeakMap<StatementDecision, string>();

export class SessionAudit {
  private readonly queue: Pending[] = [];
  private head = 0;
  private sentCycles = 0;
  private answeredCycles = 0;
  /** Sequence number of this session's last recorded event (the recorder's). */
  private lastSeq = 0;
  private readonly recordsAllowed: boolean;
  /** The statement being handled, for a refusal: set at each Query/Parse/Bind/Execute/FunctionCall. */
  private currentSql = "";
  private currentAnalysis: StatementAnalysis | null = null;
  private readonly portals = new Map<string, { sql: string; analysis: StatementAnalysis | null }>();
  private unnamedPortal: { sql: string; analysis: StatementAnalysis | null } | null = null;

  /** `"virtualDatabase":…,"credential":…,"clientAddress":…,"applicationName":…`, once per session. */
  private readonly whoJson: string;
  /** The last events' shared parts and what they were made of, the latest first (see partOf). */
  private readonly parts: KnownPart[] = [];

  constructor(private readonly ctx: SessionAuditContext) {
    const who = JSON.stringify({
      virtualDatabase: ctx.virtualDatabase,
      credential: ctx.credential,
      clientAddress: ctx.clientAddress,
      applicationName: ctx.applicationName,
    });
    this.whoJson = who.slice(1, -1);
    this.recordsAllowed = ctx.policy.mode === "all" || ctx.policy.mode === "writes" || ctx.policy.mode === "sample";
  }

  /** The statement the session is handling now (what a refusal is about). */
  consider(sql: string, analysis: StatementAnalysis | null): void {
    this.currentSql = sql;
    this.currentAnalysis = analysis;
  }

  /** A simple Query went to the server (`backend`) at `now` (performance.now()): one entry per statement in it. */
  sentQuery(sql: string, analysis: StatementAnalysis, backend: string, decision: StatementDecision | null = null, now = performance.now()): void {
    if (!this.recordsAllowed) return;
    const rule = decision?.rule ?? null;
    const cycle = this.sentCycles + 1;
    const at = Date.now();
    if (analysis.statements > 1) {
      const ranges = splitStatements(sql);
      if (ranges.length === analysis.statements) {
        for (const [start, end] of ranges) {
          const piece = sql.slice(start, end).trim();
          const a = this.ctx.analyzer.analyze(piece);
          this.push(piece, a, backend, rule, decision, true, at, now, cycle, auditsAllowed(this.ctx.policy, a));
        }
        return;
      }
    }
    this.push(sql, analysis, backend, rule, decision, false, at, now, cycle, auditsAllowed(this.ctx.policy, analysis));
  }

  /** A Bind of `sql` into the portal named buf[start, end). */
  bound(buf: Buffer, start: number, end: number, sql: string, analysis: StatementAnalysis | null): void {
    const portal = { sql, analysis };
    this.currentSql = sql;
    this.currentAnalysis = analysis;
    if (end === start) this.unnamedPortal = portal;
    else if (this.recordsAllowed) this.portals.set(buf.toString("utf8", start, end), portal);
  }

  /** An Execute (its body starts at buf[start]: the portal name, NUL-terminated) went to the server at `now` (performance.now()). */
  sentExecute(buf: Buffer, start: number, messageEnd: number, backend: string, decision: StatementDecision | null = null, now = performance.now()): void {
    let end = buf.indexOf(0, start);
    if (end === -1 || end > messageEnd) end = start;
    const portal = end === start ? this.unnamedPortal : (this.portals.get(buf.toString("utf8", start, end)) ?? null);
    this.currentSql = portal?.sql ?? "";
    this.currentAnalysis = portal?.analysis ?? null;
    if (!this.recordsAllowed) return;
    const analysis = portal?.analysis ?? null;
    this.push(portal?.sql ?? "", analysis, backend, decision?.rule ?? null, decision, false, Date.now(), now, this.sentCycles + 1, auditsAllowed(this.ctx.policy, analysis));
  }

  /** A FunctionCall (the fast-path interface) of function `oid` is being handled (what a refusal is about). */
  considerFunctionCall(oid: number): void {
    this.currentSql = `-- FunctionCall: function oid ${oid}`;
    this.currentAnalysis = null;
  }

  /** A FunctionCall of function `oid` went to the server. */
  sentFunctionCall(oid: number, backend: string, rule: string | null = null): void {
    this.considerFunctionCall(oid);
    if (!this.recordsAllowed) return;
    this.push(this.currentSql, null, backend, rule, null, false, Date.now(), performance.now(), this.sentCycles + 1, auditsAllowed(this.ctx.policy, null));
  }

  /** A message the server answers with ReadyForQuery went out (Query, Sync, FunctionCall). */
  sentSync(): void {
    this.sentCycles++;
  }

  /** A CommandComplete, EmptyQueryResponse, PortalSuspended or ErrorResponse at buf[pos …], read at `now` (performance.now()). */
  onResult(type: number, length: number, buf: Buffer, pos: number, now = performance.now()): void {
    if (this.head === this.queue.length) return;
    const entry = this.queue[this.head] as Pending;
    if (entry.cycle !== this.answeredCycles + 1) return; // answers a message of a cycle with no statement left
    this.head++;
    if (!entry.audited) return;
    const whole = pos + 1 + length <= buf.length;
    let rows: number | null = null;
    let sqlstate: string | null = null;
    if (type === Backend.CommandComplete) {
      if (whole) rows = rowsOf(buf, pos + 5, pos + length);
    } else if (type === Backend.ErrorResponse) {
      sqlstate = whole ? sqlstateOf(buf, pos + 5, pos + 1 + length) : null;
    }
    this.emit(entry, "allowed", entry.rule, rows, sqlstate, Math.round((now - entry.startedAt) * 1000));
  }

  /** ReadyForQuery: what is left of that cycle was skipped by the server (it never ran). */
  onReady(): void {
    this.answeredCycles++;
    const q = this.queue;
    while (this.head < q.length && (q[this.head] as Pending).cycle <= this.answeredCycles) this.head++;
    if (this.head === q.length) {
      emptyArray(q);
      this.head = 0;
    }
  }

  /**
   * The session refused the statement it is handling. `denied`: a rule or limit decided (not a backend failure);
   * unset, the SQLSTATE tells. `rule` unset: read from the refusal's message (`… "name" …`).
   */
  refused(
    code: string,
    message: string,
    ruleIn: string | null | undefined,
    deniedIn: boolean | undefined,
    backend: string | null,
    decision: StatementDecision | null = null,
  ): void {
    if (this.ctx.policy.mode === "off") return;
    const denied = deniedIn ?? GOVERNANCE_CODES.has(code);
    const rule = ruleIn !== undefined ? ruleIn : denied ? ruleFromMessage(message) : null;
    if (!denied && !this.recordsAllowed) return;
    const sql = this.currentSql;
    const analysis = this.currentAnalysis;
    const at = Date.now();
    const now = performance.now();
    const verdict = denied ? "denied" : "allowed";
    if (analysis !== null && analysis.statements > 1) {
      const ranges = splitStatements(sql);
      if (ranges.length === analysis.statements) {
        for (const [start, end] of ranges) {
          const piece = sql.slice(start, end).trim();
          this.emit(this.entry(piece, this.ctx.analyzer.analyze(piece), backend, rule, decision, true, at, now), verdict, rule, null, code, null);
        }
        return;
      }
    }
    this.emit(this.entry(sql, analysis, backend, rule, decision, false, at, now), verdict, rule, null, code, null);
  }

  /** False, or true and `release` is called once this session's events are in the spool file. */
  holdFlush(release: () => void): boolean {
    return this.lastSeq !== 0 && this.ctx.recorder.holdUntilWritten(this.lastSeq, release);
  }

  /** Writes what is pending now (a path that closes the client at once). */
  commitNow(): void {
    if (this.lastSeq !== 0) this.ctx.recorder.commit();
  }

  /** The client is gone: statements still in flight are recorded with an unknown outcome (no duration, rows or SQLSTATE). */
  closed(): void {
    const q = this.queue;
    for (let i = this.head; i < q.length; i++) {
      const e = q[i] as Pending;
      if (e.audited) this.emit(e, "allowed", e.rule, null, null, null);
    }
    emptyArray(q);
    this.head = 0;
  }

  private entry(
    sql: string,
    analysis: StatementAnalysis | null,
    backend: string | null,
    rule: string | null,
    decision: StatementDecision | null,
    piece: boolean,
    at: number,
    now: number,
  ): Pending {
    return { sql, analysis, backend, rule, decision, piece, occurredAt: at, startedAt: now, cycle: 0, audited: true };
  }

  private push(
    sql: string,
    analysis: StatementAnalysis | null,
    backend: string,
    rule: string | null,
    decision: StatementDecision | null,
    piece: boolean,
    at: number,
    now: number,
    cycle: number,
    audited: boolean,
  ): void {
    this.queue.push({ sql, analysis, backend, rule, decision, piece, occurredAt: at, startedAt: now, cycle, audited });
  }

  private emit(e: Pending, decision: "allowed" | "denied", rule: string | null, rows: number | null, sqlstate: string | null, durationUs: number | null): void {
    const { ctx } = this;
    const analysis = e.analysis;
    // The same analysis (shared by texts that differ only in literals) and decision object as a kept part's: the
    // same normalized text and tables, without the two WeakMap lookups and string compares below.
    let part = analysis !== null && analysis.error === null && !e.piece && !ctx.policy.keepLiterals ? this.knownPartOf(analysis, e.decision, decision, rule, e.backend) : null;
    if (part === null) {
      const kind = analysis?.kind ?? (e.sql.startsWith("-- FunctionCall") ? "call" : "other");
      const n = normalizedOf(e.sql, analysis, kind);
      // With literals kept, the text is this statement's own: its part is shared only by runs of the same text.
      const head = ctx.policy.keepLiterals ? whatFragment(e.sql.trim(), n.fingerprint, kind) : n.json;
      part = this.partOf(head, tablesJsonOf(e, n), decision, rule, e.backend, e.piece ? null : analysis, e.piece ? null : e.decision);
    }
    const seq = ctx.recorder.recordParts(e.occurredAt, part, durationUs, rows, sqlstate);
    if (seq !== 0) this.lastSeq = seq;
  }

  /** The kept part last found for this analysis and decision object, or null. */
  private knownPartOf(
    analysis: StatementAnalysis,
    decisionRef: StatementDecision | null,
    decision: "allowed" | "denied",
    rule: string | null,
    backend: string | null,
  ): EventPart | null {
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as KnownPart;
      if (p.analysis === analysis && p.decisionRef === decisionRef && p.decision === decision && p.rule === rule && p.backend === backend) {
        return this.used(i).part;
      }
    }
    return null;
  }

  /** Kept part `i`, moved to the front (the latest first). */
  private used(i: number): KnownPart {
    const parts = this.parts;
    const p = parts[i] as KnownPart;
    if (i > 0) {
      parts.splice(i, 1);
      parts.unshift(p);
    }
    return p;
  }

  /**
   * The event's shared part: one of the session's last few, or a new one (the oldest then goes). `analysis` and
   * `decisionRef` (null for a piece of a multi-statement text, whose tables are its own) let knownPartOf find it next time.
   */
  private partOf(
    head: string,
    tables: string,
    decision: "allowed" | "denied",
    rule: string | null,
    backend: string | null,
    analysis: StatementAnalysis | null,
    decisionRef: StatementDecision | null,
  ): EventPart {
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as KnownPart;
      if (p.head === head && p.tables === tables && p.decision === decision && p.rule === rule && p.backend === backend) {
        this.used(i);
        p.analysis = analysis;
        p.decisionRef = decisionRef;
        return p.part;
      }
    }
    const part = eventPart(this.whoJson, `${head},"tables":${tables}`, decision, rule, backend);
    if (parts.length === PARTS_KEPT) parts.pop();
    parts.unshift({ analysis, decisionRef, head, tables, decision, rule, backend, part });
    return part;
  }
}

function whatFragment(statement: string, fingerprint: string, kind: string): string {
  const text = statement.length > MAX_STATEMENT_CHARS ? statement.slice(0, MAX_STATEMENT_CHARS - 1) + "…" : statement;
  return JSON.stringify({ statement: text, fingerprint, kind }).slice(1, -1);
}

function tablesJson(tables: readonly AuditTable[]): string {
  return JSON.stringify(tables.map((t) => ({ schema: t.schema, name: t.name, operation: t.operation })));
}

/**
 * The tables of an event: those of the access decision, whose schemas are resolved (an unqualified name against
 * the session's search path), so that the audit browser's `schema.table` filter finds them; for one statement
 * of a multi-statement text, its own tables with the schemas the decision resolved for them.
 */
function tablesJsonOf(e: Pending, n: Normalized): string {
  const d = e.decision;
  if (d === null || d.tables.length === 0) return n.tablesJson;
  if (!e.piece) {
    let json = tablesByDecision.get(d);
    if (json === undefined) {
      json = tablesJson(d.tables);
      tablesByDecision.set(d, json);
    }
    return json;
  }
  const own = e.analysis?.tables ?? NO_TABLES;
  const resolved: AuditTable[] = [];
  for (const t of own) {
    const matches = d.tables.filter((x) => x.name === t.name && x.operation === t.operation && (t.schema === null || x.schema === t.schema));
    if (matches.length === 0) resolved.push(t);
    else for (const m of matches) resolved.push(m);
  }
  return tablesJson(resolved);
}

function normalizedOf(sql: string, analysis: StatementAnalysis | null, kind: string): Normalized {
  if (analysis !== null) {
    const hit = normalizedByAnalysis.get(analysis);
    if (hit !== undefined) return hit;
  }
  const text = normalizeStatement(sql.trim());
  const fingerprint = statementFingerprint(text);
  const n = { text, fingerprint, json: whatFragment(text, fingerprint, kind), tablesJson: tablesJson(analysis?.tables ?? NO_TABLES) };
  // Only a parsed text: a failed analysis may be shared by texts that are not literal variants of each other.
  if (analysis !== null && analysis.error === null) normalizedByAnalysis.set(analysis, n);
  return n;
}

/** Rows of a CommandComplete tag in buf[start, end) (NUL excluded): its last number for tags that count rows. */
function rowsOf(buf: Buffer, start: number, end: number): number | null {
  while (end > start && buf[end - 1] === 0) end--;
  let i = end;
  while (i > start && (buf[i - 1] as number) >= 0x30 && (buf[i - 1] as number) <= 0x39) i--;
  if (i === end || i === start || buf[i - 1] !== 0x20) return null;
  const first = buf[start] as number;
  // INSERT, UPDATE, DELETE, SELECT, MERGE, MOVE, FETCH, COPY (CREATE TABLE AS says SELECT n).
  if (first !== 0x49 && first !== 0x55 && first !== 0x44 && first !== 0x53 && first !== 0x4d && first !== 0x46 && first !== 0x43) return null;
  // Digit by digit: a string per statement for Number() showed in profiles. Past 2^53 the count is approximate,
  // as Number() would make it.
  let n = 0;
  for (let k = i; k < end; k++) n = n * 10 + ((buf[k] as number) - 0x30);
  return n;
}

/** The `C` (SQLSTATE) field of an ErrorResponse body buf[start, end). */
function sqlstateOf(buf: Buffer, start: number, end: number): string | null {
  let i = start;
  while (i < end) {
    const field = buf[i] as number;
    if (field === 0) return null;
    const valueEnd = buf.indexOf(0, i + 1);
    if (valueEnd === -1 || valueEnd >= end) return null;
    if (field === 0x43) return buf.toString("latin1", i + 1, valueEnd);
    i = valueEnd + 1;
  }
  return null;
}
