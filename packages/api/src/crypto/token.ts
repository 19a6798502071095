import { createHash, randomBytes } from "node:crypto";

/** A bearer secret: `<prefix>_<43 chars>`; only its sha256 is stored. */
export function newSecretToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
