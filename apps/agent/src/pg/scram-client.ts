import { randomBytes, timingSafeEqual } from "node:crypto";
import { hmacSha256, saltedPassword, sha256, xorBuffers } from "./scram-verifier";

// The client side of SCRAM-SHA-256, used by the agent to log in to backends. No channel binding ("n,,"), as
// libpq does when it is not asked for binding.

export class ScramClientExchange {
  private clientFirstBare = "";
  private expectedServerSignature: Buffer | null = null;

  constructor(
    private readonly password: string,
    /** Tests pin it; otherwise 18 random bytes. */
    private readonly clientNonce: string = randomBytes(18).toString("base64"),
    /** PostgreSQL ignores it (the startup packet names the user); libpq sends it empty. */
    private readonly user = "",
  ) {}

  clientFirst(): string {
    // PostgreSQL takes the user from the startup packet; libpq sends an empty n=.
    this.clientFirstBare = `n=${this.user},r=${this.clientNonce}`;
    return `n,,${this.clientFirstBare}`;
  }

  clientFinal(serverFirst: string): string {
    const attrs = new Map(serverFirst.split(",").map((a) => [a.slice(0, 1), a.slice(2)] as const));
    const nonce = attrs.get("r");
    const salt = attrs.get("s");
    const iterations = Number(attrs.get("i"));
    if (nonce === undefined || salt === undefined || !Number.isSafeInteger(iterations) || iterations < 1) {
      throw new Error("the backend sent a malformed SCRAM server-first-message");
    }
    if (!nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new Error("the backend's SCRAM nonce does not extend ours");
    }
    const salted = saltedPassword(this.password, Buffer.from(salt, "base64"), iterations);
    const clientKey = hmacSha256(salted, "Client Key");
    const withoutProof = `c=${Buffer.from("n,,").toString("base64")},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const proof = xorBuffers(clientKey, hmacSha256(sha256(clientKey), authMessage));
    this.expectedServerSignature = hmacSha256(hmacSha256(salted, "Server Key"), authMessage);
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  /** Checks the backend proved it knows the verifier too (a fake server cannot log us in). */
  verifyServerFinal(serverFinal: string): void {
    const v = serverFinal.split(",").find((a) => a.startsWith("v="));
    const got = v === undefined ? null : Buffer.from(v.slice(2), "base64");
    const want = this.expectedServerSignature;
    if (got === null || want === null || got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new Error("the backend's SCRAM server signature is wrong");
    }
  }
}
