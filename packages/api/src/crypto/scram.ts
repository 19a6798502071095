import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

export const SCRAM_ITERATIONS = 4096;

/**
 * A SCRAM-SHA-256 verifier in PostgreSQL's own format
 * (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, RFC 5802 / 7677), so an agent
 * can authenticate clients without ever holding their password.
 */
export function scramVerifier(password: string, iterations = SCRAM_ITERATIONS, salt = randomBytes(16)): string {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** Whether `password` produces `verifier` (same salt and iterations); used to keep a seeded login. */
export function scramVerifierMatches(password: string, verifier: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(verifier);
  if (!m) return false;
  return scramVerifier(password, Number(m[1]), Buffer.from(m[2]!, "base64")) === verifier;
}
