import type { Duplex } from "node:stream";
import { isAnalyzerFailure, RecentShape, type SqlAnalyzer, type StatementAnalysis } from "@dbmesh/sql";
import type { Logger } from "pino";
import type { BackendRuntime, Role, RuntimeSnapshot, VirtualDatabaseRuntime } from "../config/snapshot";
import type { AuditPipeline } from "../audit/audit-pipeline";
import type { SessionAudit } from "../audit/session-audit";
import { credentialAccess, SessionAccess } from "../governance/access";
import { type SessionRateLimits, sessionRateLimits } from "../governance/rate-limits";
import { SQLSTATE_RATE_LIMITED, SQLSTATE_SYNTAX_ERROR, type StatementDecision } from "../governance/statement-decision";
import { credentialRefusal } from "../config/snapshot";
import { emptyArray } from "../empty-array";
import type { AgentMetrics } from "../metrics";
import { isSliceOf, type ReadBuffer } from "../net/read-buffer";
import { SocketWriter } from "../net/socket-writer";
import type { BackendSink } from "../pg/backend-scanner";
import { errorResponse } from "../pg/errors";
import { FrameError, FrameReader } from "../pg/frame-reader";
import {
  backendKeyData,
  bindUnnamed,
  CLOSE_COMPLETE,
  closeStatement,
  cstringEnd,
  EXECUTE_UNNAMED,
  parameterStatus,
  parse,
  query,
  READY_FOR_QUERY_IDLE,
  readyForQuery,
  SYNC,
} from "../pg/messages";
import { Backend, Frontend, SqlState, TxStatus } from "../pg/protocol";
import type { Pool, PoolWaiter } from "../pool/pool";
import { TrackedRequest } from "../pool/response-tracker";
import type { ServerConnection, ServerOwner } from "../pool/server-connection";
import { releaseClean } from "../pool/server-reset";
import { chooseTarget } from "../route/read-write-split";
import type { AgentRuntime, LiveSession } from "../runtime";
import type { CancelRegistry, Cancellable } from "./cancel-registry";
import type { Semaphore, SlotWaiter } from "./semaphore";
import {
  describeStatement,
  NO_SUCH_STATEMENT,
  PreparedStatement,
  raiseErrorSql,
  rewriteBind,
  rewriteParse,
  serverStatementName,
} from "./statements";

// One client connection after login. Client messages are framed and handled synchronously, one at a time;
// only Query/Parse text is analyzed (cached), Bind/Describe/Close names are read, everything else is forwarded
// as received, in as few writes as possible. Backend bytes go back raw: only message headers are looked at.
//
// A "cycle" is a Query, or extended-protocol messages up to a Sync; it ends with the server's ReadyForQuery.
// Under transaction pooling the session holds a server only while a cycle or a transaction is open (or for
// good once it set session state: SET, LISTEN, temp tables …). When a message needs something that is not
// there yet (a server from the pool, a concurrency slot, a replica to finish), the session un-reads the message
// and picks up from it when the wait ends; nothing awaits per message. It stops reading its client only once
// WAIT_READ_AHEAD bytes have piled up behind the wait (see updateClientFlow).
//
// A statement the agent refuses gets an ErrorResponse and the session stays usable. With no server attached
// the agent answers itself (ErrorResponse + ReadyForQuery, or skips to the Sync). With a server attached, the
// refusal is raised *by the server* (a DO block that raises the same SQLSTATE and message), so that it
// arrives in order after earlier results and aborts the open transaction exactly as a real error would.

const NONE = 0;
const WAIT_SERVER = 1;
const WAIT_SLOT = 2;
const WAIT_DRAIN = 3;

const OK = 0;
const WAIT = 1;
const FAIL = 2;
type Step = typeof OK | typeof WAIT | typeof FAIL;

/** Flush backend bytes to the client at ReadyForQuery or once this much is held; same bound for client bytes held for the server. */
const CORK_LIMIT = 64 * 1024;
/** Client bytes read ahead while a message waits (for a server, a slot) before the client socket is paused. */
const WAIT_READ_AHEAD = 64 * 1024;

interface Refusal {
  code: string;
  message: string;
  /** The access rule, circuit break or limit that refused (for the audit trail). */
  rule?: string | null;
  /** A governance decision (rule, limit, unanalyzable text), not a backend failure; unset: judged by the code. */
  denied?: boolean;
}

class RefusedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SessionDeps {
  log: Logger;
  metrics: AgentMetrics;
  analyzer: SqlAnalyzer;
  runtime: AgentRuntime;
  cancels: CancelRegistry;
  maxMessageBytes: number;
  /** The SQL audit trail (absent: nothing is audited). */
  audit?: AuditPipeline | null;
}

export interface SessionInit {
  socket: Duplex;
  /** The buffer `socket` reads into (net/read-buffer.ts); null: it reads through 'data' events (TLS). */
  reads?: ReadBuffer | null;
  snapshot: RuntimeSnapshot;
  vdb: VirtualDatabaseRuntime;
  credential: string;
  applicationName: string;
}

export class ClientSession implements ServerOwner, BackendSink, PoolWaiter, SlotWaiter, Cancellable, LiveSession {
  readonly processId: number;
  readonly secretKey: number;
  readonly snapshot: RuntimeSnapshot;
  readonly virtualDatabase: string;
  private readonly vdb: VirtualDatabaseRuntime;
  private readonly client: Duplex;
  /** Writes to the client (net/socket-writer.ts): straight to the handle when it can. */
  private readonly clientWriter: SocketWriter;
  private readonly credential: string;
  private readonly applicationName: string;
  private readonly reader: FrameReader;
  /** See `log`. */
  private logger: Logger | null = null;
  /** Transaction pooling: client statement names are rewritten to per-server names. */
  private readonly rewrite: boolean;
  /** This session's SQL audit (null: the virtual database's policy is off, or no audit trail). */
  private readonly audit: SessionAudit | null;

  private ready = false;
  private closed = false;
  private processing = false;

  private server: ServerConnection | null = null;
  private serverBackend: BackendRuntime | null = null;
  /** Query/Sync/FunctionCall sent whose ReadyForQuery has not come back. */
  private pendingSyncs = 0;
  /** Extended-protocol messages were sent since the last Sync. */
  private cycleOpen = false;
  private cycleStartedAt = 0;
  private readonly syncStarts: number[] = [];
  /**
   * performance.now() of what is being handled, taken at most once per batch of client messages (processClient)
   * and per server read (onServerData), and shared by the cycle's start, the rate limits, the SQL audit and the
   * duration metrics: each performance.now() is a call out of JS, and a governed statement asked five times.
   */
  private clock = -1;
  /** After an error in an extended-protocol cycle: drop messages up to the Sync, as PostgreSQL does. */
  private skipping = false;
  private txStatus: number = TxStatus.Idle;
  private pinned: boolean;
  /** The agent sent the replica a Sync of its own mid-cycle (see ensureServer); its ReadyForQuery is swallowed. */
  private movingToPrimary = false;
  /** The replica's part of that cycle failed: skip the client's messages up to its Sync, as PostgreSQL would. */
  private movedCycleFailed = false;

  private waiting = NONE;
  private waitBackend: BackendRuntime | null = null;
  /** The replica a read waited for could not be reached: the resumed message goes to a primary (onPoolError). */
  private replicaUnreachable = false;
  private waitSemaphore: Semaphore | null = null;
  private waitTimer: NodeJS.Timeout | null = null;
  private refusal: Refusal | null = null;
  /** Slot taken for the message being handled; held until the session is quiet once the message is sent. */
  private currentSlot: Semaphore | null = null;
  private readonly heldSlots: Semaphore[] = [];

  private readonly statements = new Map<string, PreparedStatement>();
  /** The literal shape this client sent last: its next text of that shape skips the shape key (@dbmesh/sql). */
  private readonly recentShape = new RecentShape();
  private lastUnnamedSql = "";
  private lastUnnamedAnalysis: StatementAnalysis | null = null;
  /** The last unnamed Parse was refused: a Bind of the unnamed statement fails too. */
  private lastUnnamedRefused = false;

  /** Access rules for this credential, and the search path they resolve unqualified names against. */
  private readonly access: SessionAccess;
  /** Statements per second (null: the virtual database sets no limit). */
  private readonly limits: SessionRateLimits | null;
  /**
   * The verdict on the text being handled (Query, Parse, Bind of a prepared statement, FunctionCall), set
   * before it is forwarded or refused; what the SQL audit reads. See governance/statement-decision.ts.
   */
  decision: StatementDecision | null = null;

  private closing: { code: string; message: string; waitForTransaction: boolean } | null = null;
  /** The client sent Terminate. */
  private leaving = false;
  private clientPaused = false;
  private clientPausedForServer = false;
  private serverPaused = false;
  /** Bytes for the client not written yet (backend bytes until ReadyForQuery, the agent's own answers). */
  private readonly clientOut: Buffer[] = [];
  private clientOutBytes = 0;
  private clientFlushPending = false;
  private sawReady = false;
  private quietAfterScan = false;

  /** A run of client messages to forward unchanged: client buffer [fwdStart, fwdEnd). */
  private fwdBuf: Buffer | null = null;
  private fwdStart = 0;
  private fwdEnd = 0;
  /** Bytes for the server from this pass over the client's messages: one write when the pass ends. */
  private readonly serverOut: Buffer[] = [];
  private serverOutBytes = 0;
  /** A server socket did not take all it was given at once: it may still reference the client's read buffer. */
  private serverKeptBytes = false;

  constructor(
    init: SessionInit,
    private readonly deps: SessionDeps,
  ) {
    this.client = init.socket;
    this.clientWriter = new SocketWriter(init.socket);
    this.snapshot = init.snapshot;
    this.vdb = init.vdb;
    this.virtualDatabase = init.vdb.name;
    this.credential = init.credential;
    this.applicationName = init.applicationName;
    this.rewrite = init.vdb.mode === "transaction";
    this.pinned = init.vdb.mode === "session";
    this.reader = new FrameReader(deps.maxMessageBytes);
    this.access = new SessionAccess(credentialAccess(init.vdb, init.credential));
    this.limits = sessionRateLimits(init.vdb, init.credential);
    const keys = deps.cancels.issue();
    this.processId = keys.processId;
    this.secretKey = keys.secretKey;
    this.audit = deps.audit?.openSession({ vdbConfig: init.vdb.config, virtualDatabase: this.virtualDatabase, credential: this.credential, clientAddress: clientAddressOf(init.socket), applicationName: init.applicationName }) ?? null;

    // Listen at once: bytes a client pipelines right after its password must not be lost.
    if (init.reads) init.reads.handle(this.onClientChunk);
    else this.client.on("data", this.onClientData);
    this.client.on("drain", this.onClientDrain);
    this.client.on("error", (err) => {
      if (this.debugOn) this.log.debug({ err: err.message }, "client connection error");
      this.cleanup();
      this.client.destroy();
    });
    this.client.on("close", () => this.cleanup());
    deps.cancels.register(this.processId, this);
    deps.runtime.sessionStarted(this);
  }

  /**
   * The session's logger, a pino child made on first use: most sessions never log at the levels that are on, and
   * making one for each (its bindings string, its level methods) cost every idle client memory: bench:memory went
   * from 10.66 to 7.69 KiB per client without it. Debug lines are guarded by `debugOn` so that they do not make one either.
   */
  private get log(): Logger {
    this.logger ??= this.deps.log.child({ session: this.processId, virtualDatabase: this.virtualDatabase, credential: this.credential });
    return this.logger;
  }

  private get debugOn(): boolean {
    return this.deps.log.isLevelEnabled("debug");
  }

  /** Finishes the login: server parameters, cancel key, ReadyForQuery; then serves. */
  async open(leftover: Buffer): Promise<void> {
    if (leftover.length > 0) this.reader.push(leftover);
    try {
      const params = await this.startupParameters();
      if (this.closed) return;
      const out: Buffer[] = [];
      for (const [name, value] of params) {
        if (name === "application_name" || name === "session_authorization") continue;
        out.push(parameterStatus(name, value));
      }
      // The client logged in as its credential; the backend's user name stays private.
      out.push(parameterStatus("session_authorization", this.credential));
      out.push(parameterStatus("application_name", this.applicationName));
      out.push(backendKeyData(this.processId, this.secretKey), READY_FOR_QUERY_IDLE);
      this.client.write(Buffer.concat(out));
      this.ready = true;
      if (this.debugOn) this.log.debug({ mode: this.vdb.mode }, "client session open");
      if (this.closing !== null) this.requestClose(this.closing.code, this.closing.message, this.closing.waitForTransaction);
      else this.processClient();
    } catch (err) {
      if (err instanceof RefusedError) this.terminate(err.code, err.message);
      else {
        this.log.error({ err }, "client session failed to open");
        this.terminate(SqlState.InternalError, "the dbmesh agent failed to open this session");
      }
    }
  }

  // ---------------------------------------------------------------- client → server

  private readonly onClientData = (chunk: Buffer): void => {
    this.reader.push(chunk);
    if (this.ready) this.processClient();
  };

  /** Like onClientData, for a chunk in the socket's reused read buffer: true when a reference to it outlives the call. */
  private readonly onClientChunk = (chunk: Buffer): boolean => {
    this.onClientData(chunk);
    // What the reader still holds (a partial message, or the one a wait stopped at) is copied; what was
    // forwarded went out in flushServer, unless the server socket could not take it all at once.
    this.reader.release(chunk);
    const kept = this.serverKeptBytes;
    this.serverKeptBytes = false;
    return kept;
  };

  private processClient(): void {
    if (this.processing) return;
    this.processing = true;
    this.clock = -1;
    try {
      while (this.waiting === NONE && !this.closed) {
        let more: boolean;
        try {
          more = this.reader.next();
        } catch (err) {
          if (!(err instanceof FrameError)) throw err;
          this.flushServer();
          this.terminate(SqlState.ProtocolViolation, err.message);
          return;
        }
        if (!more) break;
        if (!this.handle(this.reader.type)) {
          this.reader.rewind();
          break;
        }
        if (this.serverOutBytes + this.fwdEnd - this.fwdStart >= CORK_LIMIT) this.flushServer();
      }
      this.flushServer();
      this.flushClient();
    } catch (err) {
      this.log.error({ err }, "session failed while handling a client message");
      this.terminate(SqlState.InternalError, "the dbmesh agent failed while handling this message");
    } finally {
      this.processing = false;
    }
    this.updateClientFlow();
  }

  /** Handles the reader's current message. False: not consumed (the session now waits); it is read again later. */
  private handle(type: number): boolean {
    if (this.skipping) {
      if (type === Frontend.Sync) {
        this.skipping = false;
        this.onSync();
      } else if (type === Frontend.Terminate) {
        this.closeQuietly();
      }
      return true;
    }
    if (this.refusal !== null) {
      this.refuse(type === Frontend.Query || type === Frontend.FunctionCall);
      return true;
    }
    switch (type) {
      case Frontend.Query:
        return this.onQuery();
      case Frontend.Parse:
        return this.onParse();
      case Frontend.Bind:
        return this.onBind();
      case Frontend.Describe:
        return this.onDescribe();
      case Frontend.Execute:
        return this.onExecute();
      case Frontend.Close:
        return this.onClose();
      case Frontend.Sync:
        this.onSync();
        return true;
      case Frontend.Flush:
      case Frontend.CopyData:
      case Frontend.CopyDone:
      case Frontend.CopyFail:
        // Outside a cycle PostgreSQL ignores stray copy messages, and a Flush has nothing to flush.
        if (this.server !== null) this.forwardCurrent();
        return true;
      case Frontend.FunctionCall:
        return this.onFunctionCall();
      case Frontend.Terminate:
        this.closeQuietly();
        return true;
      default:
        this.terminate(SqlState.ProtocolViolation, `invalid frontend message type ${type} (0x${type.toString(16)})`);
        return true;
    }
  }

  private onQuery(): boolean {
    const r = this.reader;
    const sqlEnd = cstringEnd(r.buf, r.start + 5, r.end);
    if (sqlEnd === -1) return this.malformed("Query");
    const sql = r.buf.toString("utf8", r.start + 5, sqlEnd);
    const analysis = this.deps.analyzer.analyze(sql, this.recentShape);
    // Decided afresh below; a circuit break refuses before the access decision, which must not be the last text's.
    this.decision = null;
    this.audit?.consider(sql, analysis);
    if (this.denied(analysis)) return this.refuse(true);
    const slot = this.takeSlot(analysis);
    if (slot !== OK) return slot === WAIT ? false : this.refuse(true);
    const step = this.ensureServer(this.routeOf(analysis));
    if (step !== OK) return step === WAIT ? false : this.refuse(true);
    // Counted once the statement really goes (a message that waited is handled again).
    // A lone BEGIN/COMMIT/ROLLBACK is not counted ("BEGIN; SELECT …" is: only a whole text of transaction control is free).
    if ((analysis.transaction === null || analysis.statements > 1) && this.rateLimited(analysis.statements)) return this.refuse(true);
    this.commitSlot();
    if (analysis.setsSessionState) this.pin();
    if (this.cycleStartedAt === 0) this.cycleStartedAt = this.now();
    this.access.forwarded(analysis, this.txStatus === TxStatus.Idle && analysis.statements === 1);
    this.forwardCurrent();
    this.audit?.sentQuery(sql, analysis, (this.serverBackend as BackendRuntime).name, this.decision, this.now());
    this.sentSync();
    return true;
  }

  private onParse(): boolean {
    const r = this.reader;
    const buf = r.buf;
    const nameStart = r.start + 5;
    const nameEnd = cstringEnd(buf, nameStart, r.end);
    const sqlEnd = nameEnd === -1 ? -1 : cstringEnd(buf, nameEnd + 1, r.end);
    if (sqlEnd === -1) return this.malformed("Parse");
    const sql = buf.toString("utf8", nameEnd + 1, sqlEnd);
    const analysis = this.deps.analyzer.analyze(sql, this.recentShape);
    // Decided afresh below; a circuit break refuses before the access decision, which must not be the last text's.
    this.decision = null;
    this.audit?.consider(sql, analysis);
    const named = nameEnd > nameStart;
    if (this.denied(analysis)) {
      if (!named) this.forgetUnnamed(true);
      return this.refuse(false);
    }
    const name = named ? buf.toString("utf8", nameStart, nameEnd) : "";
    if (named && this.rewrite && this.statements.has(name)) {
      this.refusal = { code: SqlState.DuplicatePreparedStatement, message: `prepared statement "${name}" already exists` };
      return this.refuse(false);
    }
    const step = this.ensureServer(this.routeOf(analysis));
    if (step !== OK) return step === WAIT ? false : this.refuse(false);
    if (analysis.setsSessionState) this.pin();
    this.openCycle();
    this.access.forwarded(analysis, false);
    const server = this.server as ServerConnection;
    if (!named) {
      this.lastUnnamedSql = sql;
      this.lastUnnamedAnalysis = analysis;
      this.lastUnnamedRefused = false;
    }
    if (!named || !this.rewrite) {
      if (named) this.statements.set(name, new PreparedStatement(name, name, sql, analysis, EMPTY));
      this.forwardCurrent();
      server.tracker.sentParse();
      return true;
    }
    const rest = buf.subarray(nameEnd + 1, r.end);
    const serverName = serverStatementName(rest);
    const stmt = new PreparedStatement(name, serverName, sql, analysis, rewriteParse(serverName, rest));
    this.statements.set(name, stmt);
    if (server.prepared.has(serverName)) {
      // Another client prepared the same text on this server: re-prepare it so that this Parse gets its own
      // ParseComplete (or error) in order; the Close's CloseComplete is the agent's and is swallowed.
      this.writeServer(closeStatement(serverName));
      server.tracker.sentClose(new TrackedRequest(true));
    }
    server.prepared.add(serverName);
    this.writeServer(stmt.parseMessage);
    server.tracker.sentParse(
      new TrackedRequest(false, () => {
        server.prepared.delete(serverName);
        if (this.statements.get(name) === stmt) this.statements.delete(name);
      }),
    );
    return true;
  }

  private onBind(): boolean {
    const r = this.reader;
    const buf = r.buf;
    const portalStart = r.start + 5;
    const portalEnd = cstringEnd(buf, portalStart, r.end);
    const stmtEnd = portalEnd === -1 ? -1 : cstringEnd(buf, portalEnd + 1, r.end);
    if (stmtEnd === -1) return this.malformed("Bind");
    let stmt: PreparedStatement | undefined;
    let sql = this.lastUnnamedSql;
    let analysis = this.lastUnnamedAnalysis;
    if (stmtEnd > portalEnd + 1) {
      stmt = this.statements.get(buf.toString("utf8", portalEnd + 1, stmtEnd));
      sql = stmt?.sql ?? "";
      analysis = stmt?.analysis ?? null;
    }
    this.decision = null;
    this.audit?.bound(buf, portalStart, portalEnd, sql, analysis);
    if (stmt === undefined && stmtEnd === portalEnd + 1 && this.lastUnnamedRefused) {
      this.refusal = { code: SqlState.InvalidSqlStatementName, message: "unnamed prepared statement does not exist (dbmesh refused its Parse)", denied: true };
      return this.refuse(false);
    }
    // Checked again (circuit breaks and access rules): a search path set since the Parse changes what its names
    // mean (PostgreSQL re-plans).
    if (analysis !== null && this.denied(analysis)) return this.refuse(false);
    if (analysis !== null) {
      const slot = this.takeSlot(analysis);
      if (slot !== OK) return slot === WAIT ? false : this.refuse(false);
    }
    const step = this.ensureServer(this.routeOf(analysis));
    if (step !== OK) return step === WAIT ? false : this.refuse(false);
    if (analysis?.transaction == null && this.rateLimited(1)) return this.refuse(false);
    this.commitSlot();
    this.openCycle();
    const server = this.server as ServerConnection;
    if (stmt === undefined || !this.rewrite) {
      this.forwardCurrent();
    } else {
      this.ensurePrepared(server, stmt);
      this.writeServer(rewriteBind(buf.subarray(portalStart, portalEnd + 1), stmt.serverName, buf.subarray(stmtEnd + 1, r.end)));
    }
    server.tracker.sentBind();
    return true;
  }

  private onDescribe(): boolean {
    const r = this.reader;
    const kind = r.buf[r.start + 5];
    const nameEnd = cstringEnd(r.buf, r.start + 6, r.end);
    if (nameEnd === -1 || (kind !== 0x53 && kind !== 0x50)) return this.malformed("Describe");
    const stmt =
      kind === 0x53 && nameEnd > r.start + 6 ? this.statements.get(r.buf.toString("utf8", r.start + 6, nameEnd)) : undefined;
    // A portal, or the unnamed statement, lives on the server held: describe it there.
    const step = stmt === undefined && this.server !== null ? OK : this.ensureServer(this.routeOf(stmt?.analysis ?? null));
    if (step !== OK) return step === WAIT ? false : this.refuse(false);
    this.openCycle();
    if (stmt !== undefined && this.rewrite) {
      const server = this.server as ServerConnection;
      this.ensurePrepared(server, stmt);
      this.writeServer(describeStatement(stmt.serverName));
    } else {
      this.forwardCurrent();
    }
    return true;
  }

  private onExecute(): boolean {
    // A portal lives on the server its Bind went to: never move for an Execute.
    const step = this.server !== null ? OK : this.ensureServer("primary");
    if (step !== OK) return step === WAIT ? false : this.refuse(false);
    this.openCycle();
    this.forwardCurrent();
    this.audit?.sentExecute(this.reader.buf, this.reader.start + 5, this.reader.end, (this.serverBackend as BackendRuntime).name, this.decision, this.now());
    return true;
  }

  private onClose(): boolean {
    const r = this.reader;
    const kind = r.buf[r.start + 5];
    const nameEnd = cstringEnd(r.buf, r.start + 6, r.end);
    if (nameEnd === -1 || (kind !== 0x53 && kind !== 0x50)) return this.malformed("Close");
    const namedStatement = kind === 0x53 && nameEnd > r.start + 6;
    if (namedStatement) this.statements.delete(r.buf.toString("utf8", r.start + 6, nameEnd));
    if (this.server === null) {
      // Nothing is in flight, so answering now keeps responses in order. Closing what does not exist is fine.
      this.writeClient(CLOSE_COMPLETE);
      return true;
    }
    this.openCycle();
    if (namedStatement && this.rewrite) {
      // The server statement may serve other clients: keep it, but still let the server answer in order.
      this.writeServer(closeStatement(NO_SUCH_STATEMENT));
    } else {
      this.forwardCurrent();
    }
    (this.server as ServerConnection).tracker.sentClose();
    return true;
  }

  private onSync(): void {
    if (this.server !== null) {
      this.forwardCurrent();
      this.sentSync();
      return;
    }
    // No server: everything of this cycle was answered by the agent (a refusal, a Close).
    this.writeClient(readyForQuery(this.txStatus));
    this.cycleStartedAt = 0;
    this.quietPoint();
  }

  private onFunctionCall(): boolean {
    // A function named by OID only: allowed only by a rule allowing `call` on "function_call" (see governance/access.ts).
    const decision = this.access.functionCall;
    this.decision = decision;
    this.audit?.considerFunctionCall(this.reader.buf.readInt32BE(this.reader.start + 5));
    if (!decision.allowed) {
      this.refuseByDecision(decision);
      return this.refuse(true);
    }
    const step = this.ensureServer("primary");
    if (step !== OK) return step === WAIT ? false : this.refuse(true);
    if (this.rateLimited(1)) return this.refuse(true);
    if (this.cycleStartedAt === 0) this.cycleStartedAt = this.now();
    this.forwardCurrent();
    this.audit?.sentFunctionCall(this.reader.buf.readInt32BE(this.reader.start + 5), (this.serverBackend as BackendRuntime).name, decision.rule);
    this.sentSync();
    return true;
  }

  private malformed(what: string): boolean {
    this.terminate(SqlState.ProtocolViolation, `malformed ${what} message`);
    return true;
  }

  private openCycle(): void {
    this.cycleOpen = true;
    if (this.cycleStartedAt === 0) this.cycleStartedAt = this.now();
  }

  /** A message the server answers with ReadyForQuery went out. */
  private sentSync(): void {
    (this.server as ServerConnection).tracker.sentSync();
    this.audit?.sentSync();
    this.access.sentSync();
    this.pendingSyncs++;
    this.syncStarts.push(this.cycleStartedAt);
    this.cycleStartedAt = 0;
    this.cycleOpen = false;
  }

  private ensurePrepared(server: ServerConnection, stmt: PreparedStatement): void {
    if (server.prepared.has(stmt.serverName)) return;
    // This server never saw the statement: prepare it first; the client did not ask, so it gets no ParseComplete.
    const name = stmt.serverName;
    server.prepared.add(name);
    this.writeServer(stmt.parseMessage);
    server.tracker.sentParse(new TrackedRequest(true, () => server.prepared.delete(name)));
  }

  private pin(): void {
    if (this.pinned) return;
    this.pinned = true;
    if (this.debugOn) this.log.debug("session pinned to its server: it set session state");
  }

  // ---------------------------------------------------------------- rules, routing, waiting

  /** Circuit breaks (and texts the analyzer could not read): sets the refusal and returns true when denied. */
  private denied(analysis: StatementAnalysis): boolean {
    if (isAnalyzerFailure(analysis)) {
      this.refusal = { code: "54001", message: `${analysis.error} (virtual database "${this.virtualDatabase}")` };
      this.deps.metrics.deniedStatements.inc({ virtual_database: this.virtualDatabase, rule: "", reason: "analysis" });
      return true;
    }
    // Each statement alone, on its normalized text and its tables as the session's search path resolves them.
    const hit = this.vdb.circuitBreaks.match(analysis.parts, analysis, this.access.searchPath);
    if (hit !== null) {
      this.refusal = {
        code: SqlState.InsufficientPrivilege,
        message: `statement refused by circuit break "${hit.rule}" of virtual database "${this.virtualDatabase}"`,
        rule: hit.rule,
        denied: true,
      };
      this.deps.metrics.deniedStatements.inc({ virtual_database: this.virtualDatabase, rule: hit.rule, reason: "circuit_break" });
      return true;
    }
    return this.accessDenied(analysis);
  }

  /** Access rules (and texts that do not parse: fail closed). Sets the decision, and the refusal when denied. */
  private accessDenied(analysis: StatementAnalysis): boolean {
    const decision = this.access.decide(analysis);
    this.decision = decision;
    if (decision.allowed) return false;
    this.refuseByDecision(decision);
    return true;
  }

  private refuseByDecision(decision: StatementDecision): void {
    this.refusal = { code: decision.sqlstate as string, message: decision.reason, rule: decision.rule, denied: true };
    const reason = decision.sqlstate === SQLSTATE_SYNTAX_ERROR ? "syntax" : "access";
    this.deps.metrics.deniedStatements.inc({ virtual_database: this.virtualDatabase, rule: decision.rule ?? "", reason });
  }

  /** performance.now(), once per batch of messages handled (see `clock`). */
  private now(): number {
    if (this.clock < 0) this.clock = performance.now();
    return this.clock;
  }

  /** Statements per second per credential and per virtual database: sets the refusal and returns true when over. */
  private rateLimited(statements: number): boolean {
    // Transaction control is never limited (callers check): a client must always be able to end a transaction.
    const limits = this.limits;
    if (limits === null) return false;
    const hit = limits.take(statements > 0 ? statements : 1, this.now());
    if (hit === null) return false;
    const who = hit.scope === "per credential" ? ` for credential "${this.credential}"` : "";
    const message = `rate limit of virtual database "${this.virtualDatabase}" reached: at most ${hit.rate} statements per second ${hit.scope}${who}; retry shortly`;
    this.refusal = { code: SQLSTATE_RATE_LIMITED, message, rule: null, denied: true };
    this.decision = { kind: this.decision?.kind ?? "other", tables: this.decision?.tables ?? [], allowed: false, rule: null, reason: message, sqlstate: SQLSTATE_RATE_LIMITED };
    this.deps.metrics.deniedStatements.inc({ virtual_database: this.virtualDatabase, rule: "", reason: "rate_limit" });
    return true;
  }

  /** After a refused unnamed Parse the server's unnamed statement is gone (or the agent's refusal): never Bind an older one. */
  private forgetUnnamed(refused: boolean): void {
    this.lastUnnamedSql = "";
    this.lastUnnamedAnalysis = null;
    this.lastUnnamedRefused = refused;
  }

  private takeSlot(analysis: StatementAnalysis): Step {
    const controls = this.vdb.concurrency;
    if (controls.length === 0 || this.currentSlot !== null) return OK;
    for (const control of controls) {
      if (!control.matcher.matches(analysis)) continue;
      const semaphore = control.semaphore;
      if (semaphore.tryAcquire()) {
        this.currentSlot = semaphore;
        return OK;
      }
      const limit = control.rule;
      const refuse = (waitedMs: number) => {
        // 53300 (too many at once); 53400 is the rate limit's.
        this.refusal = {
          code: SqlState.TooManyConnections,
          message: `concurrency limit of rule "${limit.name}" of virtual database "${this.virtualDatabase}" reached: ${limit.maxConcurrency} matching statements already running; waited ${waitedMs} ms`,
          rule: limit.name,
          denied: true,
        };
        this.deps.metrics.deniedStatements.inc({ virtual_database: this.virtualDatabase, rule: limit.name, reason: "concurrency" });
      };
      if (limit.waitTimeoutMs === 0) {
        refuse(0);
        return FAIL;
      }
      const since = Date.now();
      this.waitSemaphore = semaphore;
      this.waitTimer = setTimeout(() => {
        this.waitTimer = null;
        if (this.waitSemaphore !== semaphore) return;
        semaphore.cancel(this);
        this.waitSemaphore = null;
        refuse(Date.now() - since);
        this.resume();
      }, limit.waitTimeoutMs);
      this.waiting = WAIT_SLOT;
      semaphore.wait(this);
      return WAIT;
    }
    return OK;
  }

  /** SlotWaiter: the semaphore counted us in. Called from another session's stack, so resume later. */
  onSlot(): void {
    const semaphore = this.waitSemaphore;
    if (semaphore === null) return;
    this.waitSemaphore = null;
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    if (this.closed) {
      semaphore.release();
      return;
    }
    this.currentSlot = semaphore;
    queueMicrotask(() => this.resume());
  }

  private commitSlot(): void {
    if (this.currentSlot !== null) {
      this.heldSlots.push(this.currentSlot);
      this.currentSlot = null;
    }
  }

  private releaseSlots(): void {
    while (this.heldSlots.length > 0) (this.heldSlots.pop() as Semaphore).release();
  }

  private routeOf(analysis: StatementAnalysis | null): Role {
    if (this.replicaUnreachable) {
      // Once, for the message whose replica connection just failed (see onPoolError).
      this.replicaUnreachable = false;
      return "primary";
    }
    if (this.pinned || this.txStatus !== TxStatus.Idle || analysis === null || analysis.setsSessionState) return "primary";
    const split = this.vdb.strategy.readWriteSplitting;
    if (!split.enabled) return "primary";
    return chooseTarget({ analysis, inTransaction: false, split });
  }

  /** A server for this message: the one held, or one from the pool of a balanced backend of `role`. */
  private ensureServer(role: Role): Step {
    const held = this.server;
    if (held !== null) {
      const onReplica = (this.serverBackend as BackendRuntime).role === "replica";
      if (!onReplica || role !== "primary" || this.pinned || this.txStatus !== TxStatus.Idle) return OK;
      if (this.cycleOpen) {
        // A write (or BEGIN, SET …) pipelined behind reads in one extended-protocol cycle: close the replica's
        // part with a Sync of the agent's own, whose ReadyForQuery the client never sees, then move to a primary.
        this.writeServer(SYNC);
        this.sentSync();
        this.movingToPrimary = true;
      }
      // A write after pipelined reads on a replica: let the replica answer them, then move to a primary.
      if (this.pendingSyncs > 0) {
        this.waiting = WAIT_DRAIN;
        return WAIT;
      }
      this.releaseServer();
    }
    const backend = this.pickBackend(role);
    if (backend === null) {
      this.refusal = { code: SqlState.ConnectionFailure, message: this.noBackendMessage(role) };
      return FAIL;
    }
    const server = backend.pool.tryAcquire();
    if (server !== null) {
      this.attach(server, backend);
      return OK;
    }
    this.waitBackend = backend;
    this.waiting = WAIT_SERVER;
    backend.pool.acquire(this);
    return WAIT;
  }

  /** A healthy backend of `role` (a replica falls back to a primary), by the strategy's balancer. */
  private pickBackend(role: Role): BackendRuntime | null {
    const vdb = this.vdb;
    if (role === "replica") {
      const replica = this.pickFrom(vdb.replicas, vdb.replicaBalancer);
      if (replica !== null) return replica;
    }
    return this.pickFrom(vdb.primaries, vdb.primaryBalancer);
  }

  private pickFrom(list: readonly BackendRuntime[], balancer: VirtualDatabaseRuntime["primaryBalancer"]): BackendRuntime | null {
    if (list.length === 0) return null;
    let candidates = list;
    for (const b of list) {
      if (!b.health.healthy) {
        candidates = list.filter((c) => c.health.healthy);
        break;
      }
    }
    return balancer.pick(candidates, this.vdb.activeConnections) as BackendRuntime | null;
  }

  private noBackendMessage(role: Role): string {
    const vdb = this.vdb;
    if (vdb.backends.length === 0) {
      return `virtual database "${vdb.name}" has no backend endpoints (configuration revision ${this.snapshot.revision})`;
    }
    const candidates = role === "replica" ? vdb.backends : vdb.primaries;
    if (candidates.length === 0) return `virtual database "${vdb.name}" has no primary backend to send this statement to`;
    const why = candidates.map((b) => `${b.name}: ${b.health.lastError ?? "unhealthy"}`).join("; ");
    return `no backend of virtual database "${vdb.name}" can serve this statement right now (${why})`;
  }

  /** PoolWaiter: a server for the message we stopped at. */
  onServer(server: ServerConnection): void {
    const backend = this.waitBackend;
    this.waitBackend = null;
    if (backend === null || this.closed) {
      (backend ?? this.serverBackend)?.pool.release(server, true);
      return;
    }
    this.attach(server, backend);
    this.resume();
  }

  /** PoolWaiter: no server came (pool exhausted, backend down). The message gets this error. */
  onPoolError(code: string, message: string): void {
    const backend = this.waitBackend;
    if (backend === null) return;
    this.waitBackend = null;
    if (this.closed) return;
    // A read bound for a replica that cannot be reached has not gone anywhere yet, and a primary serves reads
    // too: send it there rather than failing it while the replica's circuit breaker is still counting failures.
    if (backend.role === "replica" && code.startsWith("08") && this.server === null) {
      this.replicaUnreachable = true;
      this.resume();
      return;
    }
    this.refusal = { code, message };
    this.resume();
  }

  private resume(): void {
    if (this.closed) return;
    this.waiting = NONE;
    this.processClient();
  }

  private attach(server: ServerConnection, backend: BackendRuntime): void {
    this.server = server;
    this.serverBackend = backend;
    this.pendingSyncs = 0;
    server.attach(this);
  }

  private releaseServer(): void {
    const server = this.server;
    const backend = this.serverBackend;
    if (server === null || backend === null) return;
    this.flushServer();
    this.server = null;
    this.serverBackend = null;
    this.serverPaused = false;
    this.clientPausedForServer = false;
    backend.pool.release(server, true);
  }

  /**
   * Answers the current message with the pending refusal. With a server attached, the server raises it (in order,
   * aborting the transaction like any error); without one, the agent answers itself.
   */
  private refuse(simple: boolean): boolean {
    const refusal = this.refusal as Refusal;
    this.refusal = null;
    this.audit?.refused(refusal.code, refusal.message, refusal.rule, refusal.denied, this.serverBackend?.name ?? null, this.decision);
    if (this.currentSlot !== null) {
      this.currentSlot.release();
      this.currentSlot = null;
    }
    this.deps.metrics.totals.errors++;
    const server = this.server;
    if (server !== null) {
      const sql = raiseErrorSql(refusal.code, refusal.message);
      if (simple) {
        if (this.cycleStartedAt === 0) this.cycleStartedAt = this.now();
        this.writeServer(query(sql));
        this.sentSync();
      } else {
        this.openCycle();
        this.writeServer(parse("", sql));
        server.tracker.sentParse(new TrackedRequest(true));
        this.writeServer(bindUnnamed(""));
        server.tracker.sentBind(new TrackedRequest(true));
        this.writeServer(EXECUTE_UNNAMED);
        this.skipping = true;
      }
      return true;
    }
    this.writeClient(errorResponse({ severity: "ERROR", code: refusal.code, message: refusal.message }));
    if (simple) {
      this.writeClient(readyForQuery(this.txStatus));
      this.cycleStartedAt = 0;
      this.quietPoint();
    } else {
      this.skipping = true;
    }
    return true;
  }

  // ---------------------------------------------------------------- writing

  private forwardCurrent(): void {
    const r = this.reader;
    if (this.fwdBuf === r.buf && this.fwdEnd === r.start) {
      this.fwdEnd = r.end;
      return;
    }
    this.flushForward();
    this.fwdBuf = r.buf;
    this.fwdStart = r.start;
    this.fwdEnd = r.end;
  }

  private flushForward(): void {
    const buf = this.fwdBuf;
    if (buf === null) return;
    this.fwdBuf = null;
    const data = this.fwdStart === 0 && this.fwdEnd === buf.length ? buf : buf.subarray(this.fwdStart, this.fwdEnd);
    this.serverOut.push(data);
    this.serverOutBytes += data.length;
  }

  /** Queues bytes for the server after what is already queued. */
  private writeServer(data: Buffer): void {
    this.flushForward();
    this.serverOut.push(data);
    this.serverOutBytes += data.length;
  }

  /** Writes what is queued for the server in one go (a rewritten Bind and the Execute/Sync after it: one syscall). */
  private flushServer(): void {
    this.flushForward();
    const out = this.serverOut;
    if (out.length === 0) return;
    const server = this.server;
    let ok = true;
    if (server !== null) {
      ok = writeAll(server.writer, out, this.serverOutBytes);
      if (server.writer.holdsBytes) this.serverKeptBytes = true;
    }
    emptyArray(out);
    this.serverOutBytes = 0;
    if (!ok) this.clientPausedForServer = true;
  }

  private dropServerOut(): void {
    this.fwdBuf = null;
    emptyArray(this.serverOut);
    this.serverOutBytes = 0;
  }

  /** Queues one of the agent's own messages for the client, in order with backend bytes. */
  private writeClient(data: Buffer): void {
    this.clientOut.push(data);
    this.clientOutBytes += data.length;
  }

  /** Writes what is queued for the client in one go; a full client socket pauses the server. */
  private flushClient(): void {
    const out = this.clientOut;
    if (out.length === 0) return;
    // A result goes out only once its statement's audit event is in the spool file (one event-loop turn at most).
    if (this.audit !== null && this.audit.holdFlush(this.flushClientLater)) return;
    const bytes = this.clientOutBytes;
    this.clientOutBytes = 0;
    const client = this.client;
    const ok = client.writable ? writeAll(this.clientWriter, out, bytes) : true;
    emptyArray(out);
    if (!ok && !this.serverPaused && this.server !== null) {
      this.serverPaused = true;
      this.server.socket.pause();
    }
  }

  private updateClientFlow(): void {
    if (this.closed) return;
    // A client waiting for a server usually sent one message and awaits its answer: pausing its socket then
    // (readStop, and readStart when the server comes) is pure overhead under transaction pooling with more
    // clients than servers (bench:proxy -c 32: ~1-2 µs of CPU per transaction). What it pipelines behind the
    // wait is read into the frame reader up to WAIT_READ_AHEAD, then the socket is paused.
    const pause = this.clientPausedForServer || (this.waiting !== NONE && this.reader.buffered >= WAIT_READ_AHEAD);
    if (pause === this.clientPaused) return;
    this.clientPaused = pause;
    if (pause) this.client.pause();
    else this.client.resume();
  }

  private readonly onClientDrain = (): void => {
    if (this.serverPaused) {
      this.serverPaused = false;
      this.server?.socket.resume();
    }
  };

  // ---------------------------------------------------------------- server → client

  onServerData(server: ServerConnection, chunk: Buffer): boolean {
    if (server !== this.server) return false;
    this.clock = -1;
    this.sawReady = false;
    server.scanner.scan(chunk, this);
    if (this.sawReady || this.clientOutBytes >= CORK_LIMIT) this.flushClient();
    else if (!this.clientFlushPending && this.clientOut.length > 0) {
      // Never hold bytes without a ReadyForQuery behind them (notifications, a slow result) past this turn.
      this.clientFlushPending = true;
      setImmediate(this.flushClientLater);
    }
    if (this.quietAfterScan) {
      this.quietAfterScan = false;
      this.quietPoint();
    }
    // `chunk` is the connection's read buffer: its slices still queued for the client (no ReadyForQuery yet, or
    // held for the audit spool) are copied. Earlier pieces are copies already, so a result held over many reads
    // is copied once, not again at every read.
    const out = this.clientOut;
    for (let i = 0; i < out.length; i++) if (isSliceOf(out[i] as Buffer, chunk)) out[i] = Buffer.from(out[i] as Buffer);
    // Slices the client socket could not take at once stay referenced: the connection then reads elsewhere.
    return this.clientWriter.holdsBytes;
  }

  private readonly flushClientLater = (): void => {
    this.clientFlushPending = false;
    if (!this.closed) this.flushClient();
  };

  /** BackendSink: one message header from the server. */
  onMessage(type: number, length: number, status: number, buf: Buffer, pos: number): boolean {
    switch (type) {
      case Backend.CommandComplete:
      case Backend.EmptyQueryResponse:
      case Backend.PortalSuspended:
        this.audit?.onResult(type, length, buf, pos, this.now());
        return false;
      case Backend.ReadyForQuery:
        if (this.movingToPrimary && this.pendingSyncs === 1) {
          this.onReadyForQuery(status);
          this.movingToPrimary = false;
          if (this.movedCycleFailed) this.skipping = true;
          this.movedCycleFailed = false;
          return true;
        }
        this.onReadyForQuery(status);
        return false;
      case Backend.ParseComplete:
        return (this.server as ServerConnection).tracker.ackParse();
      case Backend.BindComplete:
        return (this.server as ServerConnection).tracker.ackBind();
      case Backend.CloseComplete:
        return (this.server as ServerConnection).tracker.ackClose();
      case Backend.ErrorResponse:
        this.deps.metrics.totals.errors++;
        this.audit?.onResult(type, length, buf, pos, this.now());
        this.access.onError();
        if (this.movingToPrimary && this.pendingSyncs === 1) this.movedCycleFailed = true;
        return false;
      default:
        return false;
    }
  }

  /** BackendSink: bytes for the client, as they came (written when the chunk is scanned, or at ReadyForQuery). */
  forward(buf: Buffer, start: number, end: number): void {
    this.clientOut.push(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
    this.clientOutBytes += end - start;
  }

  onProtocolError(message: string): void {
    this.server?.destroy(message);
  }

  private onReadyForQuery(status: number): void {
    const server = this.server as ServerConnection;
    const backend = this.serverBackend as BackendRuntime;
    this.txStatus = status;
    server.txStatus = status;
    server.tracker.ready();
    this.audit?.onReady();
    this.access.onReady(status);
    if (this.pendingSyncs > 0) this.pendingSyncs--;
    const started = this.syncStarts.shift();
    if (started !== undefined) {
      const seconds = (this.now() - started) / 1000;
      if (backend.role === "primary") {
        backend.metrics.queriesPrimary.inc();
        backend.metrics.durationPrimary.observe(seconds);
      } else {
        backend.metrics.queriesReplica.inc();
        backend.metrics.durationReplica.observe(seconds);
      }
    }
    this.deps.metrics.totals.queries++;
    this.sawReady = true;
    if (this.pendingSyncs === 0 && !this.cycleOpen) this.quietAfterScan = true;
  }

  /** Nothing in flight: slots go back; the server goes back to its pool unless the session is pinned or in a transaction. */
  private quietPoint(): void {
    if (this.pendingSyncs > 0 || this.cycleOpen || this.closed) return;
    this.releaseSlots();
    const closing = this.closing;
    if (closing !== null && (this.txStatus === TxStatus.Idle || !closing.waitForTransaction)) {
      this.terminate(closing.code, closing.message);
      return;
    }
    if (this.server !== null && !this.pinned && this.txStatus === TxStatus.Idle) this.releaseServer();
    if (this.waiting === WAIT_DRAIN) this.resume();
  }

  onServerDrain(): void {
    if (!this.clientPausedForServer) return;
    this.clientPausedForServer = false;
    this.updateClientFlow();
  }

  onServerClosed(server: ServerConnection, reason: string): void {
    if (server !== this.server) return;
    const backend = this.serverBackend as BackendRuntime;
    this.dropServerOut();
    this.server = null;
    this.serverBackend = null;
    backend.pool.release(server, false);
    this.terminate(
      SqlState.ConnectionFailure,
      `lost the connection to backend ${backend.name} of virtual database "${this.virtualDatabase}": ${reason}`,
    );
  }

  // ---------------------------------------------------------------- lifecycle

  /** CancelRequest with this session's key: cancel what its server is running, with the server's own key. */
  cancelRunning(): void {
    if (this.server !== null && (this.pendingSyncs > 0 || this.cycleOpen)) this.server.sendCancel();
  }

  onConfigApplied(next: RuntimeSnapshot): void {
    if (!next.virtualDatabases.has(this.virtualDatabase)) {
      this.requestClose(
        SqlState.AdminShutdown,
        `virtual database "${this.virtualDatabase}" was removed from the mesh configuration (revision ${next.revision}): this connection is closed`,
        false,
      );
      return;
    }
    const credential = next.credentials.get(this.credential);
    const refusal = credential === undefined ? null : credentialRefusal(credential);
    if (refusal !== null) {
      this.requestClose(SqlState.InvalidAuthorizationSpecification, `${refusal} (revision ${next.revision}): this connection is closed`, false);
      return;
    }
    if (credential === undefined || !credential.virtualDatabases.has(this.virtualDatabase)) {
      this.requestClose(
        SqlState.InvalidAuthorizationSpecification,
        `credential "${this.credential}" was removed or no longer grants virtual database "${this.virtualDatabase}" (revision ${next.revision}): this connection is closed`,
        false,
      );
    }
  }

  beginShutdown(): void {
    this.requestClose(SqlState.AdminShutdown, "the dbmesh agent is shutting down: reconnect to another agent or retry shortly", true);
  }

  forceClose(reason: string): void {
    this.terminate(SqlState.AdminShutdown, reason);
  }

  /** Closes at the next quiet point (now if there is nothing in flight), with a FATAL error naming why. */
  private requestClose(code: string, message: string, waitForTransaction: boolean): void {
    if (this.closed) return;
    this.closing = { code, message, waitForTransaction };
    if (!this.ready) return; // open() checks when it finishes
    const inFlight = this.server !== null && (this.pendingSyncs > 0 || this.cycleOpen);
    const inTransaction = this.txStatus !== TxStatus.Idle;
    if (!inFlight && !(waitForTransaction && inTransaction)) this.terminate(code, message);
  }

  /** FATAL error to the client, then close. */
  private terminate(code: string, message: string): void {
    if (this.closed) return;
    this.audit?.commitNow();
    this.flushClient();
    if (this.debugOn) this.log.debug({ code, reason: message }, "closing client session");
    if (this.client.writable) this.client.end(errorResponse({ severity: "FATAL", code, message }));
    else this.client.destroy();
    this.cleanup();
  }

  /** Terminate message: the client is leaving. */
  private closeQuietly(): void {
    // What came before the Terminate (a COMMIT pipelined with it) still goes out; cleanup waits for its answer.
    this.flushServer();
    this.audit?.commitNow();
    this.flushClient();
    this.leaving = true;
    this.cleanup();
    this.client.end();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.ready = false;
    this.audit?.closed();
    this.dropServerOut();
    emptyArray(this.clientOut);
    this.clientOutBytes = 0;
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    if (this.waitBackend !== null) this.waitBackend.pool.cancelWait(this);
    this.waitBackend = null;
    if (this.waitSemaphore !== null) this.waitSemaphore.cancel(this);
    this.waitSemaphore = null;
    if (this.currentSlot !== null) this.currentSlot.release();
    this.currentSlot = null;
    this.releaseSlots();
    const server = this.server;
    const backend = this.serverBackend;
    this.server = null;
    this.serverBackend = null;
    if (server !== null && backend !== null) {
      const midCycle = this.pendingSyncs > 0 || this.cycleOpen || !server.scanner.atBoundary || !server.tracker.idle;
      if (this.leaving && !server.closed && !this.cycleOpen && this.pendingSyncs > 0) {
        // The client said goodbye after whole statements: let them finish (a COMMIT must commit), then reset.
        releaseClean(backend.pool, server, { rollback: this.txStatus !== TxStatus.Idle, discard: this.pinned, pending: this.pendingSyncs });
      } else if (server.closed || midCycle) {
        // What the server is doing cannot be known: closing it is the only clean way out.
        backend.pool.release(server, false);
      } else {
        releaseClean(backend.pool, server, { rollback: this.txStatus !== TxStatus.Idle, discard: this.pinned });
      }
    }
    this.deps.cancels.unregister(this.processId, this);
    this.deps.runtime.sessionEnded(this);
  }

  /** The server parameters clients are told after login; in session mode also takes the session's server. */
  private async startupParameters(): Promise<Map<string, string>> {
    const vdb = this.vdb;
    if (vdb.backends.length === 0) {
      throw new RefusedError(
        SqlState.ConnectionFailure,
        `virtual database "${vdb.name}" has no backend endpoints yet (configuration revision ${this.snapshot.revision}): add one in the console`,
      );
    }
    if (vdb.mode === "session") {
      const backend = this.pickBackend("primary");
      if (backend === null) throw new RefusedError(SqlState.ConnectionFailure, this.noBackendMessage("primary"));
      const server = await acquireAsync(backend);
      if (this.closed) {
        backend.pool.release(server, true);
        return server.parameters;
      }
      this.attach(server, backend);
      return backend.pool.parameters ?? server.parameters;
    }
    for (const b of vdb.backends) if (b.pool.parameters !== null) return b.pool.parameters;
    const backend = this.pickBackend("primary") ?? this.pickBackend("replica");
    if (backend === null) throw new RefusedError(SqlState.ConnectionFailure, this.noBackendMessage("primary"));
    const server = await acquireAsync(backend);
    backend.pool.release(server, true);
    return backend.pool.parameters ?? server.parameters;
  }
}

const EMPTY = Buffer.alloc(0);

/** `host:port` of the client (a TLS socket has the same fields), for the audit trail. */
function clientAddressOf(socket: Duplex): string | null {
  const s = socket as Duplex & { remoteAddress?: string; remotePort?: number };
  return s.remoteAddress === undefined ? null : `${s.remoteAddress}:${s.remotePort ?? 0}`;
}

/**
 * Writes `parts` (`bytes` in all) as one write: small runs are joined (a copy of a few hundred bytes costs less
 * than cork/writev bookkeeping) and go out through the writer; large ones go out corked through Writable, as
 * one writev (rare: over 64 KiB). False when the bytes are not all in the kernel yet: wait for 'drain'.
 */
function writeAll(writer: SocketWriter, parts: readonly Buffer[], bytes: number): boolean {
  if (parts.length === 1) return writer.write(parts[0] as Buffer);
  if (bytes <= CORK_LIMIT) return writer.write(Buffer.concat(parts as Buffer[], bytes));
  const socket = writer.socket;
  socket.cork();
  for (const part of parts) socket.write(part);
  socket.uncork();
  return socket.writableLength < socket.writableHighWaterMark;
}

/** Login only: waits for a pooled server (the per-message path never does this). */
function acquireAsync(backend: BackendRuntime): Promise<ServerConnection> {
  const server = backend.pool.tryAcquire();
  if (server !== null) return Promise.resolve(server);
  return new Promise((resolve, reject) => {
    const pool: Pool = backend.pool;
    pool.acquire({
      onServer: resolve,
      onPoolError: (code, message) => reject(new RefusedError(code, message)),
    });
  });
}
