import { randomBytes, timingSafeEqual } from "node:crypto";
import { hmacSha256, type ScramVerifier, sha256, xorBuffers } from "./scram-verifier";

// The server side of SCRAM-SHA-256 against a PostgreSQL-format verifier. No channel binding: the agent offers
// only SCRAM-SHA-256 (never -PLUS), so a client asking for binding is refused and "y" (client could bind but
// thinks we cannot) is accepted, as RFC 5802 says for a server without binding.

export const SCRAM_MECHANISM = "SCRAM-SHA-256";

export class ScramError extends Error {
  /** "protocol": malformed exchange (08P01); "auth": wrong password or unknown user (28P01). */
  constructor(
    readonly kind: "protocol" | "auth",
    message: string,
  ) {
    super(message);
    this.name = "ScramError";
  }
}

const NONCE = /^[\x21-\x2B\x2D-\x7E]+$/;

/**
 * One exchange. `verifier` null means the user is unknown: the exchange still runs to the end with a
 * deterministic fake salt (so probing cannot tell unknown users from wrong passwords) and then fails.
 */
export class ScramServerExchange {
  private clientFirstBare = "";
  private serverFirst = "";
  private nonce = "";
  private gs2Header = "";
  private readonly verifier: ScramVerifier;
  private readonly mock: boolean;
  /** Keys of an older password with the same salt and iterations (a rotation grace period). */
  private alternates: readonly { storedKey: Buffer; serverKey: Buffer }[] = [];

  constructor(
    verifier: ScramVerifier | null,
    mockSalt: Buffer,
    /** Tests pin it to check a published exchange; otherwise 18 random bytes. */
    private readonly serverNonce: string = randomBytes(18).toString("base64"),
  ) {
    this.mock = verifier === null;
    this.verifier = verifier ?? { iterations: 4096, salt: mockSalt, storedKey: randomBytes(32), serverKey: randomBytes(32) };
  }

  /** Also accepts a proof made with these keys (they must share the verifier's salt and iterations). */
  acceptAlso(keys: readonly { storedKey: Buffer; serverKey: Buffer }[]): this {
    this.alternates = keys;
    return this;
  }

  /** Handles SASLInitialResponse; returns the server-first-message. */
  start(mechanism: string, clientFirst: string): string {
    if (mechanism !== SCRAM_MECHANISM) {
      throw new ScramError("protocol", `SASL mechanism ${JSON.stringify(mechanism)} is not supported: use ${SCRAM_MECHANISM}`);
    }
    // gs2-header: cbind-flag "," [authzid] ","
    const first = clientFirst.indexOf(",");
    const second = first === -1 ? -1 : clientFirst.indexOf(",", first + 1);
    if (second === -1) throw new ScramError("protocol", "malformed SCRAM client-first-message");
    const flag = clientFirst.slice(0, first);
    if (flag.startsWith("p=")) {
      throw new ScramError("protocol", "the client requires SCRAM channel binding, which the dbmesh agent does not offer");
    }
    if (flag !== "n" && flag !== "y") throw new ScramError("protocol", "malformed SCRAM channel-binding flag");
    if (second !== first + 1) throw new ScramError("protocol", "SCRAM authorization identities are not supported");
    this.gs2Header = clientFirst.slice(0, second + 1);
    this.clientFirstBare = clientFirst.slice(second + 1);
    const attrs = this.clientFirstBare.split(",");
    // PostgreSQL ignores n= (the user is the startup packet's) but requires the attribute to be there.
    if (attrs[0] === undefined || !attrs[0].startsWith("n=")) throw new ScramError("protocol", "SCRAM client-first-message lacks n=");
    const r = attrs[1];
    if (r === undefined || !r.startsWith("r=") || !NONCE.test(r.slice(2))) {
      throw new ScramError("protocol", "SCRAM client-first-message lacks a valid nonce");
    }
    if (attrs.slice(2).some((a) => a.startsWith("m="))) throw new ScramError("protocol", "SCRAM mandatory extensions are not supported");
    this.nonce = r.slice(2) + this.serverNonce;
    this.serverFirst = `r=${this.nonce},s=${this.verifier.salt.toString("base64")},i=${this.verifier.iterations}`;
    return this.serverFirst;
  }

  /** Handles the SASLResponse with the client proof; returns the server-final-message (`v=…`). */
  finish(clientFinal: string): string {
    const proofAt = clientFinal.lastIndexOf(",p=");
    if (proofAt === -1) throw new ScramError("protocol", "SCRAM client-final-message lacks a proof");
    const withoutProof = clientFinal.slice(0, proofAt);
    const attrs = withoutProof.split(",");
    const expectedBinding = `c=${Buffer.from(this.gs2Header).toString("base64")}`;
    if (attrs[0] !== expectedBinding) throw new ScramError("protocol", "SCRAM channel-binding data does not match");
    if (attrs[1] !== `r=${this.nonce}`) throw new ScramError("protocol", "SCRAM nonce does not match");
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), "base64");
    if (proof.length !== 32) throw new ScramError("protocol", "malformed SCRAM proof");

    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    // During a rotation grace both the new and the old password are good: check the proof against each
    // StoredKey and answer with the ServerKey of the one that matched (the client verifies it).
    for (const keys of [this.verifier, ...this.alternates]) {
      const clientSignature = hmacSha256(keys.storedKey, authMessage);
      const clientKey = xorBuffers(proof, clientSignature);
      if (timingSafeEqual(sha256(clientKey), keys.storedKey) && !this.mock) {
        return `v=${hmacSha256(keys.serverKey, authMessage).toString("base64")}`;
      }
    }
    throw new ScramError("auth", "password authentication failed");
  }
}
