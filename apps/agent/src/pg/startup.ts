import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type SecureContext, TLSSocket } from "node:tls";
import { errorResponse } from "./errors";
import { FrameError } from "./frame-reader";
import { cstringEnd } from "./messages";
import {
  CANCEL_REQUEST_CODE,
  GSSENC_REQUEST_CODE,
  MAX_STARTUP_PACKET_BYTES,
  SSL_REQUEST_CODE,
  SqlState,
} from "./protocol";
import { SetupReader } from "./setup-reader";

// The untyped start of a client connection: SSLRequest (answered 'S' and upgraded when the agent has a
// certificate, else 'N'), GSSENCRequest (always 'N'), CancelRequest, or a protocol 3.x StartupMessage.
// Anything else gets a FATAL 08P01 and the connection is closed: a stranger's bytes never reach a session.

export interface StartupPacket {
  kind: "startup";
  /** The socket to keep talking on: the TLS socket when the client upgraded. */
  socket: Duplex;
  reader: SetupReader;
  tls: boolean;
  user: string;
  database: string;
  /** Every parameter the client sent (user and database included). */
  parameters: Map<string, string>;
  /** Minor protocol version asked for (we answer 0 with NegotiateProtocolVersion when it is higher). */
  minorVersion: number;
  /** `_pq_.` protocol options, which this agent does not implement. */
  protocolOptions: string[];
}

export interface CancelPacket {
  kind: "cancel";
  processId: number;
  secretKey: number;
}

export interface StartupRefused {
  kind: "refused";
  reason: string;
}

export type StartupOutcome = StartupPacket | CancelPacket | StartupRefused;

/** Writes a FATAL error and closes: the one way a connection is refused before it has a session. */
export function refuseConnection(socket: Duplex, code: string, message: string): void {
  if (!socket.destroyed && socket.writable) socket.end(errorResponse({ severity: "FATAL", code, message }));
  else socket.destroy();
}

export async function readStartup(raw: Socket, tls: SecureContext | null): Promise<StartupOutcome> {
  let socket: Duplex = raw;
  let reader = new SetupReader(raw, MAX_STARTUP_PACKET_BYTES);
  let encrypted = false;
  let negotiatedEncryption = false;
  for (;;) {
    let body: Buffer;
    try {
      body = await reader.readUntyped();
    } catch (err) {
      reader.detach();
      if (err instanceof FrameError) {
        refuseConnection(socket, SqlState.ProtocolViolation, "invalid length of startup packet");
        return { kind: "refused", reason: err.message };
      }
      socket.destroy();
      return { kind: "refused", reason: err instanceof Error ? err.message : String(err) };
    }
    const code = body.readInt32BE(0);

    if ((code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) && body.length === 4) {
      if (negotiatedEncryption) {
        reader.detach();
        refuseConnection(socket, SqlState.ProtocolViolation, "duplicate encryption request");
        return { kind: "refused", reason: "duplicate SSLRequest/GSSENCRequest" };
      }
      if (code === SSL_REQUEST_CODE && tls !== null) {
        // Bytes already sent after the SSLRequest would be read as if they had come over TLS (CVE-2021-23214).
        if (reader.buffered > 0) {
          reader.detach();
          refuseConnection(socket, SqlState.ProtocolViolation, "received unencrypted data after SSL request");
          return { kind: "refused", reason: "data after SSLRequest" };
        }
        reader.detach();
        raw.write("S");
        const secure = new TLSSocket(raw, { isServer: true, secureContext: tls });
        socket = secure;
        reader = new SetupReader(secure, MAX_STARTUP_PACKET_BYTES);
        encrypted = true;
        negotiatedEncryption = true;
        continue;
      }
      // No TLS configured, or GSS encryption (never offered): the client may go on in plain text.
      socket.write("N");
      if (code === SSL_REQUEST_CODE) negotiatedEncryption = true;
      continue;
    }

    if (code === CANCEL_REQUEST_CODE && body.length === 12) {
      reader.detach();
      return { kind: "cancel", processId: body.readInt32BE(4), secretKey: body.readInt32BE(8) };
    }

    const major = code >>> 16;
    if (major !== 3) {
      reader.detach();
      refuseConnection(socket, SqlState.ProtocolViolation, `unsupported frontend protocol or startup request code ${code}: the dbmesh agent speaks protocol 3.0`);
      return { kind: "refused", reason: `startup code ${code}` };
    }

    const parameters = new Map<string, string>();
    const protocolOptions: string[] = [];
    let pos = 4;
    let malformed = false;
    while (pos < body.length && body[pos] !== 0) {
      const nameEnd = cstringEnd(body, pos, body.length);
      const valueEnd = nameEnd === -1 ? -1 : cstringEnd(body, nameEnd + 1, body.length);
      if (valueEnd === -1) {
        malformed = true;
        break;
      }
      const name = body.toString("utf8", pos, nameEnd);
      const value = body.toString("utf8", nameEnd + 1, valueEnd);
      if (name.startsWith("_pq_.")) protocolOptions.push(name);
      else parameters.set(name, value);
      pos = valueEnd + 1;
    }
    if (malformed || pos !== body.length - 1) {
      reader.detach();
      refuseConnection(socket, SqlState.ProtocolViolation, "invalid startup packet layout: expected terminator as last byte");
      return { kind: "refused", reason: "malformed startup packet" };
    }
    const user = parameters.get("user");
    if (user === undefined || user === "") {
      reader.detach();
      refuseConnection(socket, SqlState.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet");
      return { kind: "refused", reason: "no user" };
    }
    if (parameters.get("replication") !== undefined && parameters.get("replication") !== "false" && parameters.get("replication") !== "0") {
      reader.detach();
      refuseConnection(socket, SqlState.FeatureNotSupported, "replication connections are not supported by the dbmesh agent");
      return { kind: "refused", reason: "replication" };
    }
    const database = parameters.get("database") || user;
    return {
      kind: "startup",
      socket,
      reader,
      tls: encrypted,
      user,
      database,
      parameters,
      minorVersion: code & 0xffff,
      protocolOptions,
    };
  }
}
