import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

// AES-256-GCM, stored as "v1:<iv>:<tag>:<ciphertext>" (base64url). The version prefix lets a later
// key rotation tell old rows from new ones.

export function encryptSecret(plaintext: string, keyHex: string): string {
  const key = Buffer.from(keyHex, "hex");
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ct.toString("base64url")].join(":");
}

export function decryptSecret(box: string, keyHex: string): string {
  const [version, iv, tag, ct] = box.split(":");
  if (version !== "v1" || !iv || !tag || ct === undefined) throw new Error("not a dbmesh secret box");
  const decipher = createDecipheriv("aes-256-gcm", Buffer.from(keyHex, "hex"), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
}
