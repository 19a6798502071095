import { createHash } from "node:crypto";
import type { Duplex } from "node:stream";
import { BackendError, parseErrorFields } from "./errors";
import { cstringEnd, passwordMessage, saslInitialResponse, saslResponse, startupMessage } from "./messages";
import { AuthCode, Backend } from "./protocol";
import { ScramClientExchange } from "./scram-client";
import type { SetupReader } from "./setup-reader";

// Logs the agent in to a real PostgreSQL server (trust, cleartext, md5 or SCRAM-SHA-256) and collects what the
// server announces before its first ReadyForQuery: ParameterStatus values and its cancel key.

export interface BackendLogin {
  user: string;
  database: string;
  password: string | null;
  /** Extra startup parameters (application_name, client_encoding …). */
  params: Record<string, string>;
}

export interface BackendSession {
  parameters: Map<string, string>;
  processId: number;
  secretKey: number;
}

export class BackendAuthError extends Error {
  constructor(
    message: string,
    readonly code: string = "28000",
  ) {
    super(message);
    this.name = "BackendAuthError";
  }
}

export async function authenticateBackend(socket: Duplex, reader: SetupReader, login: BackendLogin): Promise<BackendSession> {
  socket.write(startupMessage({ user: login.user, database: login.database, ...login.params }));
  const parameters = new Map<string, string>();
  let processId = 0;
  let secretKey = 0;
  let scram: ScramClientExchange | null = null;

  const needPassword = (method: string): string => {
    if (login.password === null) {
      throw new BackendAuthError(`the backend asks for a password (${method}) but the endpoint has none configured`);
    }
    return login.password;
  };

  for (;;) {
    const { type, body } = await reader.readTyped();
    switch (type) {
      case Backend.Authentication: {
        const code = body.readInt32BE(0);
        if (code === AuthCode.Ok) break;
        if (code === AuthCode.CleartextPassword) {
          socket.write(passwordMessage(needPassword("password")));
        } else if (code === AuthCode.MD5Password) {
          const password = needPassword("md5");
          const salt = body.subarray(4, 8);
          const inner = createHash("md5").update(password + login.user).digest("hex");
          const outer = createHash("md5").update(Buffer.concat([Buffer.from(inner), salt])).digest("hex");
          socket.write(passwordMessage(`md5${outer}`));
        } else if (code === AuthCode.SASL) {
          const mechanisms = readMechanisms(body);
          if (!mechanisms.includes("SCRAM-SHA-256")) {
            throw new BackendAuthError(`the backend offers SASL mechanisms ${mechanisms.join(", ")}; the agent speaks SCRAM-SHA-256`);
          }
          scram = new ScramClientExchange(needPassword("scram-sha-256"));
          socket.write(saslInitialResponse("SCRAM-SHA-256", scram.clientFirst()));
        } else if (code === AuthCode.SASLContinue) {
          if (scram === null) throw new BackendAuthError("the backend sent SASLContinue before SASL");
          socket.write(saslResponse(scram.clientFinal(body.toString("utf8", 4))));
        } else if (code === AuthCode.SASLFinal) {
          if (scram === null) throw new BackendAuthError("the backend sent SASLFinal before SASL");
          scram.verifyServerFinal(body.toString("utf8", 4));
        } else {
          throw new BackendAuthError(`the backend asks for authentication method ${code}, which the agent does not support (use scram-sha-256, md5, password or trust)`);
        }
        break;
      }
      case Backend.ParameterStatus: {
        const nameEnd = cstringEnd(body, 0, body.length);
        const valueEnd = nameEnd === -1 ? -1 : cstringEnd(body, nameEnd + 1, body.length);
        if (nameEnd !== -1 && valueEnd !== -1) {
          parameters.set(body.toString("utf8", 0, nameEnd), body.toString("utf8", nameEnd + 1, valueEnd));
        }
        break;
      }
      case Backend.BackendKeyData:
        processId = body.readInt32BE(0);
        secretKey = body.readInt32BE(4);
        break;
      case Backend.ErrorResponse: {
        const err = new BackendError(parseErrorFields(body));
        throw new BackendAuthError(err.message, err.code);
      }
      case Backend.ReadyForQuery:
        return { parameters, processId, secretKey };
      default:
        // NoticeResponse, NegotiateProtocolVersion: nothing to act on.
        break;
    }
  }
}

function readMechanisms(body: Buffer): string[] {
  const out: string[] = [];
  let pos = 4;
  while (pos < body.length && body[pos] !== 0) {
    const end = cstringEnd(body, pos, body.length);
    if (end === -1) break;
    out.push(body.toString("utf8", pos, end));
    pos = end + 1;
  }
  return out;
}
