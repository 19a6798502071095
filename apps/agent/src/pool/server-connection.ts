import { connect as netConnect, type Socket } from "node:net";
import { coarseNow } from "../coarse-clock";
import { ReadBuffer } from "../net/read-buffer";
import { SocketWriter } from "../net/socket-writer";
import { authenticateBackend } from "../pg/backend-auth";
import { BackendScanner, type BackendSink } from "../pg/backend-scanner";
import { cancelRequest, TERMINATE } from "../pg/messages";
import { Backend, TxStatus } from "../pg/protocol";
import { SetupReader } from "../pg/setup-reader";
import { type BackendTarget, backendStartupParams } from "./backend-target";
import { ResponseTracker } from "./response-tracker";

// One logged-in connection to a real PostgreSQL server. While a session holds it, every byte the server sends
// goes through the scanner to the session (its owner); while it sits idle in a pool, an unexpected
// ErrorResponse (the server shutting down, an idle-session timeout) closes it.

export interface ServerOwner {
  /**
   * Bytes from the server; the owner runs `server.scanner` over them. `chunk` lives in the connection's read
   * buffer, which the next read overwrites: return true when a reference to it outlives this call (bytes
   * queued for the client, or a write the kernel did not take at once); the connection then reads into a
   * fresh buffer.
   */
  onServerData(server: ServerConnection, chunk: Buffer): boolean;
  onServerClosed(server: ServerConnection, reason: string): void;
  onServerDrain(): void;
}

/** An owner for short exchanges (reset, health probe): scans with `sink`, reports a close. */
export function scanningOwner(sink: BackendSink, onClosed: (reason: string) => void): ServerOwner {
  return {
    onServerData: (server, chunk) => {
      server.scanner.scan(chunk, sink); // reads what it needs while scanning; the scanner copies what it carries
      return false;
    },
    onServerClosed: (_server, reason) => onClosed(reason),
    onServerDrain() {},
  };
}

export class BackendConnectError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "BackendConnectError";
  }
}

export interface ConnectOptions {
  connectTimeoutMs: number;
  applicationName: string;
}

let nextServerId = 1;

/** Login failures a client may see with the backend's own SQLSTATE: too many connections, starting up, shutting down. */
const RELAYED_BACKEND_CODES = new Set(["53300", "57P03", "57P01"]);

export class ServerConnection {
  readonly id = nextServerId++;
  readonly scanner = new BackendScanner();
  readonly tracker = new ResponseTracker();
  /** Server-side names of the statements prepared on this connection (transaction pooling). */
  readonly prepared = new Set<string>();
  /** Writes to the server once logged in (net/socket-writer.ts). */
  readonly writer: SocketWriter;
  readonly createdAt = Date.now();
  /** When it last went back to the pool, by the coarse clock: it is set at every release, and idle timeouts are seconds. */
  lastUsedAt = Date.now();
  owner: ServerOwner | null = null;
  closed = false;
  /** Last ReadyForQuery status seen on this connection. */
  txStatus: number = TxStatus.Idle;
  /** Called once when the connection goes away (the pool forgets it). */
  onGone: ((server: ServerConnection) => void) | null = null;
  private closeReason = "closed";

  private constructor(
    readonly target: BackendTarget,
    readonly socket: Socket,
    reads: ReadBuffer,
    readonly parameters: Map<string, string>,
    readonly processId: number,
    readonly secretKey: number,
  ) {
    this.writer = new SocketWriter(socket);
    reads.handle((chunk) => {
      if (this.owner !== null) return this.owner.onServerData(this, chunk);
      this.scanner.scan(chunk, this.idleSink);
      return false;
    });
    socket.on("drain", () => this.owner?.onServerDrain());
    socket.on("error", (err) => {
      this.closeReason = describeSocketError(err, target);
    });
    socket.on("close", () => this.gone(this.closeReason));
  }

  static async connect(target: BackendTarget, options: ConnectOptions): Promise<ServerConnection> {
    // Reads go into one reused buffer (net/read-buffer.ts); the login reads them as 'data' events.
    const reads = new ReadBuffer();
    const socket = netConnect({ host: target.host, port: target.port, onread: reads.onread });
    reads.emitDataOn(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const reader = new SetupReader(socket, 1 << 20);
    // Destroying with an error fails whichever step is waiting: the connect below or the login's reader.
    const timer = setTimeout(() => {
      socket.destroy(new BackendConnectError(`no answer within ${options.connectTimeoutMs} ms`, "08006"));
    }, options.connectTimeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) =>
          reject(err instanceof BackendConnectError ? err : new BackendConnectError(describeSocketError(err, target), "08006"));
        socket.once("error", onError);
        socket.once("connect", () => {
          socket.off("error", onError);
          resolve();
        });
      });
      const session = await authenticateBackend(socket, reader, {
        user: target.user,
        database: target.database,
        password: target.password,
        params: backendStartupParams(target, options.applicationName),
      });
      const rest = reader.detach();
      const server = new ServerConnection(target, socket, reads, session.parameters, session.processId, session.secretKey);
      if (rest.length > 0) server.scanner.scan(rest, server.idleSink);
      return server;
    } catch (err) {
      reader.detach();
      // A late error from a socket we are discarding must not become an uncaught exception.
      socket.on("error", () => {});
      socket.destroy();
      if (err instanceof BackendConnectError) throw err;
      // A backend's own SQLSTATE would mislead the client (28P01 reads as "your password is wrong"): report
      // 08006 unless the code means the same thing to the client (the backend is full or starting up).
      const code = (err as { code?: unknown }).code;
      const relayed = typeof code === "string" && RELAYED_BACKEND_CODES.has(code) ? code : "08006";
      throw new BackendConnectError(err instanceof Error ? err.message : String(err), relayed);
    } finally {
      clearTimeout(timer);
    }
  }

  attach(owner: ServerOwner): void {
    this.owner = owner;
  }

  /** Back to the pool: idle from now (what the idle timeout counts from). */
  detach(): void {
    this.owner = null;
    this.lastUsedAt = coarseNow();
    if (this.socket.isPaused()) this.socket.resume();
  }

  write(data: Buffer): boolean {
    return this.writer.write(data);
  }

  /** Closes politely (Terminate) when the stream is at a message boundary, else cuts it. */
  close(): void {
    if (this.closed) return;
    if (this.scanner.atBoundary && this.tracker.idle && this.socket.writable) this.socket.end(TERMINATE);
    else this.socket.destroy();
    this.gone("closed by the agent");
  }

  destroy(reason: string): void {
    if (this.closed) return;
    this.socket.destroy();
    this.gone(reason);
  }

  /** Asks the server to cancel what it is running, on a new connection, with its real cancel key. */
  sendCancel(): void {
    const s = netConnect({ host: this.target.host, port: this.target.port });
    s.on("error", () => s.destroy());
    s.setTimeout(5_000, () => s.destroy());
    s.on("connect", () => s.end(cancelRequest(this.processId, this.secretKey)));
  }

  private gone(reason: string): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    const owner = this.owner;
    this.owner = null;
    this.onGone?.(this);
    owner?.onServerClosed(this, reason);
  }

  private readonly idleSink: BackendSink = {
    onMessage: (type: number) => {
      // An idle server only speaks to say it is going away (FATAL) or to notice something; never reuse it
      // after an error.
      if (type === Backend.ErrorResponse) queueMicrotask(() => this.destroy("the backend reported an error while idle"));
      return false;
    },
    forward: () => {},
    onProtocolError: (message) => this.destroy(message),
  };
}

/** Why a socket to a backend failed, in words an operator can act on (the caller says which backend). */
export function describeSocketError(err: Error, target: BackendTarget): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused: is the server running?";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `host name ${target.host} does not resolve`;
    case "ETIMEDOUT":
      return "the server did not answer in time";
    case "ECONNRESET":
    case "EPIPE":
      return "the server closed the connection unexpectedly";
    default:
      return err.message;
  }
}
