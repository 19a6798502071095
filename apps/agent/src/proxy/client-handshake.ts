import { createHmac } from "node:crypto";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { SecureContext } from "node:tls";
import type { ReadBuffer } from "../net/read-buffer";
import type { ScramVerifier } from "../pg/scram-verifier";
import {
  AUTHENTICATION_OK,
  authenticationSasl,
  authenticationSaslContinue,
  authenticationSaslFinal,
  cstringEnd,
  negotiateProtocolVersion,
} from "../pg/messages";
import { Frontend, SqlState } from "../pg/protocol";
import { SCRAM_MECHANISM, ScramError, ScramServerExchange } from "../pg/scram-server";
import type { SetupReader } from "../pg/setup-reader";
import { readStartup, refuseConnection } from "../pg/startup";
import { credentialRefusal } from "../config/snapshot";
import { ClientSession, type SessionDeps } from "./session";

// From a freshly accepted socket to a serving session: startup packet, SCRAM-SHA-256 against the credential's
// verifier, then the virtual database named by the startup `database`. Authentication comes first, so a
// stranger learns nothing about which virtual databases exist; an unknown user goes through a full fake
// exchange, so it cannot be told from a wrong password.

export interface HandshakeDeps extends SessionDeps {
  tls: SecureContext | null;
  /** Per-process secret from which fake salts for unknown users are derived (stable within the process). */
  mockSecret: Buffer;
  handshakeTimeoutMs: number;
  isShuttingDown(): boolean;
}

/** `reads`: the buffer `raw` reads into (net/read-buffer.ts), or null when it reads through 'data' events. */
export async function acceptClient(raw: Socket, reads: ReadBuffer | null, deps: HandshakeDeps): Promise<void> {
  // A client that connects and never finishes logging in must not hold its socket forever.
  const timer = setTimeout(() => raw.destroy(), deps.handshakeTimeoutMs);
  try {
    await handshake(raw, reads, deps);
  } finally {
    clearTimeout(timer);
  }
}

async function handshake(raw: Socket, reads: ReadBuffer | null, deps: HandshakeDeps): Promise<void> {
  const outcome = await readStartup(raw, deps.tls);
  if (outcome.kind === "refused") {
    deps.log.debug({ remote: raw.remoteAddress, reason: outcome.reason }, "connection refused during startup");
    return;
  }
  if (outcome.kind === "cancel") {
    deps.cancels.cancel(outcome.processId, outcome.secretKey);
    // PostgreSQL answers a CancelRequest by closing the connection, whether or not the key matched.
    raw.end();
    return;
  }
  const { socket, reader, user, database } = outcome;
  if (socket !== raw) socket.on("error", () => socket.destroy());

  const refuse = (code: string, message: string, detail?: string) => {
    reader.detach();
    deps.log.info({ user, database, code, reason: message, detail }, "client refused");
    refuseConnection(socket, code, detail === undefined ? message : `${message}: ${detail}`);
  };

  if (deps.isShuttingDown()) return refuse(SqlState.AdminShutdown, "the dbmesh agent is shutting down");
  const first = deps.runtime.current;
  if (first === null) return refuse("57P03", "the dbmesh agent has not received its configuration yet: retry shortly");
  if (outcome.minorVersion > 0 || outcome.protocolOptions.length > 0) {
    socket.write(negotiateProtocolVersion(0, outcome.protocolOptions));
  }

  const credential = first.credentials.get(user) ?? null;
  const mockSalt = createHmac("sha256", deps.mockSecret).update(user).digest().subarray(0, 16);
  try {
    const previous = credential?.previous;
    const alternates = previous && Date.now() < previous.validUntil ? [previous] : [];
    await authenticate(socket, reader, credential?.verifier ?? null, mockSalt, alternates);
  } catch (err) {
    if (err instanceof ScramError) {
      return err.kind === "auth"
        ? refuse(SqlState.InvalidPassword, `password authentication failed for user "${user}"`)
        : refuse(SqlState.ProtocolViolation, err.message);
    }
    reader.detach();
    socket.destroy();
    return;
  }

  // The config may have changed while the client computed its proof: decide on the newest.
  const snapshot = deps.runtime.current ?? first;
  const vdb = snapshot.virtualDatabases.get(database);
  if (vdb === undefined) {
    return refuse(SqlState.InvalidCatalogName, `database "${database}" does not exist`, "no virtual database of that name in the mesh");
  }
  const granted = snapshot.credentials.get(user);
  // Only someone who knew the password learns that it was revoked or expired.
  const refusal = granted === undefined ? null : credentialRefusal(granted);
  if (refusal !== null) return refuse(SqlState.InvalidPassword, `password authentication failed for user "${user}"`, refusal);
  if (granted === undefined || !granted.virtualDatabases.has(database)) {
    return refuse(
      SqlState.InsufficientPrivilege,
      `permission denied for database "${database}"`,
      `credential "${user}" is not granted virtual database "${database}"`,
    );
  }

  const leftover = reader.detach();
  const session = new ClientSession(
    {
      socket,
      // After a TLS upgrade the session reads the TLS socket's 'data' (decrypted, its own buffers).
      reads: socket === raw ? reads : null,
      snapshot,
      vdb,
      credential: user,
      applicationName: outcome.parameters.get("application_name") ?? "",
    },
    deps,
  );
  await session.open(leftover);
}

async function authenticate(
  socket: Duplex,
  reader: SetupReader,
  verifier: ScramVerifier | null,
  mockSalt: Buffer,
  alternates: readonly { storedKey: Buffer; serverKey: Buffer }[],
): Promise<void> {
  socket.write(authenticationSasl([SCRAM_MECHANISM]));
  const initial = await reader.readTyped();
  if (initial.type !== Frontend.Password) throw new ScramError("protocol", "expected a SASLInitialResponse message");
  const body = initial.body;
  const mechanismEnd = cstringEnd(body, 0, body.length);
  if (mechanismEnd === -1 || mechanismEnd + 5 > body.length) throw new ScramError("protocol", "malformed SASLInitialResponse message");
  const mechanism = body.toString("utf8", 0, mechanismEnd);
  const length = body.readInt32BE(mechanismEnd + 1);
  const data = length < 0 ? "" : body.toString("utf8", mechanismEnd + 5, mechanismEnd + 5 + length);
  const exchange = new ScramServerExchange(verifier, mockSalt).acceptAlso(alternates);
  socket.write(authenticationSaslContinue(exchange.start(mechanism, data)));
  const final = await reader.readTyped();
  if (final.type !== Frontend.Password) throw new ScramError("protocol", "expected a SASLResponse message");
  const serverFinal = exchange.finish(final.body.toString("utf8"));
  socket.write(Buffer.concat([authenticationSaslFinal(serverFinal), AUTHENTICATION_OK]));
}
