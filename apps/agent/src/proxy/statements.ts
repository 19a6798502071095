import { createHash } from "node:crypto";
import type { StatementAnalysis } from "@dbmesh/sql";
import { Frontend } from "../pg/protocol";

// Named prepared statements under transaction pooling (the PgBouncer 1.21 approach). A client's statement
// "s1" becomes a server statement named after a hash of its text and parameter types, so clients that prepare
// the same statement share it on a server, and two clients' different "s1"s never collide. The session keeps
// each client statement's rewritten Parse, to replay it on whichever server it gets next.

export class PreparedStatement {
  constructor(
    readonly clientName: string,
    readonly serverName: string,
    readonly sql: string,
    readonly analysis: StatementAnalysis,
    /** The client's Parse with the server-side name: replayed on servers that lack the statement. */
    readonly parseMessage: Buffer,
  ) {}
}

/** Never prepared by the agent: a Close for it is answered CloseComplete and changes nothing. */
export const NO_SUCH_STATEMENT = "dbmesh_no_such_statement";

/** `dbm_` + 24 hex digits of SHA-256 over the Parse body after the name (query text, parameter types). */
export function serverStatementName(parseBody: Buffer): string {
  return `dbm_${createHash("sha256").update(parseBody).digest("hex").slice(0, 24)}`;
}

function header(type: number, bodyLength: number): Buffer {
  const out = Buffer.allocUnsafe(5);
  out[0] = type;
  out.writeInt32BE(bodyLength + 4, 1);
  return out;
}

function nameBytes(name: string): Buffer {
  return Buffer.from(`${name}\0`, "utf8");
}

/** A Parse naming `serverName`, with `rest` (query, NUL, parameter types) copied from the client's. */
export function rewriteParse(serverName: string, rest: Buffer): Buffer {
  const name = nameBytes(serverName);
  return Buffer.concat([header(Frontend.Parse, name.length + rest.length), name, rest]);
}

/** A Bind with the statement name replaced; `portal` includes its NUL, `rest` is everything after the name's NUL. */
export function rewriteBind(portal: Buffer, serverName: string, rest: Buffer): Buffer {
  const name = nameBytes(serverName);
  return Buffer.concat([header(Frontend.Bind, portal.length + name.length + rest.length), portal, name, rest]);
}

export function describeStatement(serverName: string): Buffer {
  const name = nameBytes(serverName);
  return Buffer.concat([header(Frontend.Describe, 1 + name.length), Buffer.from("S"), name]);
}

/** SQL that fails with the given SQLSTATE and message: how the agent refuses a statement inside a transaction. */
export function raiseErrorSql(code: string, message: string): string {
  const text = message.replaceAll("$dbmesh$", "").replaceAll("'", "''");
  return `DO $dbmesh$BEGIN RAISE EXCEPTION USING ERRCODE = '${code}', MESSAGE = '${text}'; END$dbmesh$`;
}
