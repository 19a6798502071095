import { AuthCode, Backend, CANCEL_REQUEST_CODE, Frontend, PROTOCOL_3_0 } from "./protocol";

// Builders for the few messages the agent writes itself. Everything else is forwarded as the bytes it came in.
// These run at connection setup, on errors and for statement-name rewrites, never per row.

/** A typed message: 1-byte type, int32 length (counting itself), body. */
export function typedMessage(type: number, body: Buffer | null): Buffer {
  const bodyLength = body === null ? 0 : body.length;
  const out = Buffer.allocUnsafe(5 + bodyLength);
  out[0] = type;
  out.writeInt32BE(4 + bodyLength, 1);
  if (body !== null) body.copy(out, 5);
  return out;
}

export function cstring(value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  const out = Buffer.allocUnsafe(bytes.length + 1);
  bytes.copy(out);
  out[bytes.length] = 0;
  return out;
}

function int32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeInt32BE(value, 0);
  return out;
}

// ---- backend messages (agent → client) ----

export const AUTHENTICATION_OK = typedMessage(Backend.Authentication, int32(AuthCode.Ok));
export const READY_FOR_QUERY_IDLE = readyForQuery(0x49);
export const PARSE_COMPLETE = typedMessage(Backend.ParseComplete, null);
export const CLOSE_COMPLETE = typedMessage(Backend.CloseComplete, null);

export function readyForQuery(status: number): Buffer {
  return typedMessage(Backend.ReadyForQuery, Buffer.from([status]));
}

/** AuthenticationSASL listing only SCRAM-SHA-256: without channel binding, -PLUS must not be offered. */
export function authenticationSasl(mechanisms: readonly string[]): Buffer {
  return typedMessage(Backend.Authentication, Buffer.concat([int32(AuthCode.SASL), ...mechanisms.map(cstring), Buffer.from([0])]));
}

export function authenticationSaslContinue(data: string): Buffer {
  return typedMessage(Backend.Authentication, Buffer.concat([int32(AuthCode.SASLContinue), Buffer.from(data, "utf8")]));
}

export function authenticationSaslFinal(data: string): Buffer {
  return typedMessage(Backend.Authentication, Buffer.concat([int32(AuthCode.SASLFinal), Buffer.from(data, "utf8")]));
}

export function parameterStatus(name: string, value: string): Buffer {
  return typedMessage(Backend.ParameterStatus, Buffer.concat([cstring(name), cstring(value)]));
}

export function backendKeyData(processId: number, secretKey: number): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeInt32BE(processId, 0);
  body.writeInt32BE(secretKey, 4);
  return typedMessage(Backend.BackendKeyData, body);
}

/** Sent when a client asks for a 3.x minor version or `_pq_.` options we do not know: we speak 3.0. */
export function negotiateProtocolVersion(newestMinor: number, unrecognized: readonly string[]): Buffer {
  return typedMessage(
    Backend.NegotiateProtocolVersion,
    Buffer.concat([int32(newestMinor), int32(unrecognized.length), ...unrecognized.map(cstring)]),
  );
}

// ---- frontend messages (agent → backend) ----

/** Untyped StartupMessage: int32 length, int32 protocol, then name/value pairs and a final NUL. */
export function startupMessage(params: Record<string, string>): Buffer {
  const parts: Buffer[] = [int32(PROTOCOL_3_0)];
  for (const [name, value] of Object.entries(params)) parts.push(cstring(name), cstring(value));
  parts.push(Buffer.from([0]));
  const body = Buffer.concat(parts);
  return Buffer.concat([int32(body.length + 4), body]);
}

export function cancelRequest(processId: number, secretKey: number): Buffer {
  const out = Buffer.allocUnsafe(16);
  out.writeInt32BE(16, 0);
  out.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  out.writeInt32BE(processId, 8);
  out.writeInt32BE(secretKey, 12);
  return out;
}

export function passwordMessage(password: string): Buffer {
  return typedMessage(Frontend.Password, cstring(password));
}

export function saslInitialResponse(mechanism: string, data: string): Buffer {
  const payload = Buffer.from(data, "utf8");
  return typedMessage(Frontend.Password, Buffer.concat([cstring(mechanism), int32(payload.length), payload]));
}

export function saslResponse(data: string): Buffer {
  return typedMessage(Frontend.Password, Buffer.from(data, "utf8"));
}

export function query(sql: string): Buffer {
  return typedMessage(Frontend.Query, cstring(sql));
}

export const SYNC = typedMessage(Frontend.Sync, null);
export const TERMINATE = typedMessage(Frontend.Terminate, null);

/** Parse with no parameter types: the server infers them. */
export function parse(name: string, sql: string): Buffer {
  return typedMessage(Frontend.Parse, Buffer.concat([cstring(name), cstring(sql), Buffer.from([0, 0])]));
}

/** Bind of the unnamed portal to a statement, no parameters, default result formats. */
export function bindUnnamed(statement: string): Buffer {
  return typedMessage(Frontend.Bind, Buffer.concat([Buffer.from([0]), cstring(statement), Buffer.from([0, 0, 0, 0, 0, 0])]));
}

/** Execute the unnamed portal, all rows. */
export const EXECUTE_UNNAMED = typedMessage(Frontend.Execute, Buffer.from([0, 0, 0, 0, 0]));

export function closeStatement(name: string): Buffer {
  return typedMessage(Frontend.Close, Buffer.concat([Buffer.from("S"), cstring(name)]));
}

// ---- readers ----

/** Index of the NUL ending the C string that starts at `start`, or -1 when it runs past `end`. */
export function cstringEnd(buf: Buffer, start: number, end: number): number {
  const at = buf.indexOf(0, start);
  return at === -1 || at >= end ? -1 : at;
}
