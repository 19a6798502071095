import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

// SCRAM-SHA-256 (RFC 5802/7677) primitives and PostgreSQL's verifier format
// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (all base64). Shared by the agent's server side,
// its client side towards backends, and the tests and tools that mint client credentials.

export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const VERIFIER = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

/** PostgreSQL's default iteration count (scram_iterations). */
export const DEFAULT_SCRAM_ITERATIONS = 4096;

export function hmacSha256(key: Buffer, data: string | Buffer): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

export function sha256(data: Buffer): Buffer {
  return createHash("sha256").update(data).digest();
}

export function xorBuffers(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

// RFC 4013 SASLprep, the part that matters in practice: non-ASCII spaces map to a space, "commonly mapped to
// nothing" characters vanish, then NFKC. Like PostgreSQL, a password that SASLprep would reject (control
// characters, private use, unassigned code points) is used as its raw UTF-8 bytes instead of being refused.
// Code points are compared as numbers: several of these characters are combining marks.
const MAPPED_TO_SPACE = new Set([0x00a0, 0x1680, 0x202f, 0x205f, 0x3000]);
const MAPPED_TO_NOTHING = new Set([0x00ad, 0x034f, 0x1806, 0x180b, 0x180c, 0x180d, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff]);

function isMappedToSpace(cp: number): boolean {
  return MAPPED_TO_SPACE.has(cp) || (cp >= 0x2000 && cp <= 0x200a);
}

function isMappedToNothing(cp: number): boolean {
  return MAPPED_TO_NOTHING.has(cp) || (cp >= 0xfe00 && cp <= 0xfe0f);
}

function isProhibited(cp: number): boolean {
  return (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x0340 ||
    cp === 0x0341 ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x206a && cp <= 0x206f) ||
    (cp >= 0xe000 && cp <= 0xf8ff) ||
    (cp >= 0xfff9 && cp <= 0xfffd) ||
    cp >= 0xf0000
  );
}

export function saslprep(password: string): string {
  let ascii = true;
  for (let i = 0; i < password.length; i++) {
    const c = password.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      ascii = false;
      break;
    }
  }
  if (ascii) return password;
  let mapped = "";
  for (const ch of password) {
    const cp = ch.codePointAt(0) as number;
    if (isMappedToNothing(cp)) continue;
    mapped += isMappedToSpace(cp) ? " " : ch;
  }
  const prepared = mapped.normalize("NFKC");
  for (const ch of prepared) if (isProhibited(ch.codePointAt(0) as number)) return password;
  return prepared;
}

export function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(saslprep(password), "utf8"), salt, iterations, 32, "sha256");
}

/** Mints a verifier for a password, as PostgreSQL does for `PASSWORD '…'` under scram-sha-256. */
export function createScramVerifier(
  password: string,
  options: { iterations?: number; salt?: Buffer } = {},
): string {
  const iterations = options.iterations ?? DEFAULT_SCRAM_ITERATIONS;
  const salt = options.salt ?? randomBytes(16);
  const salted = saltedPassword(password, salt, iterations);
  const storedKey = sha256(hmacSha256(salted, "Client Key"));
  const serverKey = hmacSha256(salted, "Server Key");
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** Parses a verifier; null when it is not one (the config schema already checks the shape). */
export function parseScramVerifier(text: string): ScramVerifier | null {
  const m = VERIFIER.exec(text);
  if (m === null) return null;
  const iterations = Number(m[1]);
  const storedKey = Buffer.from(m[3] as string, "base64");
  const serverKey = Buffer.from(m[4] as string, "base64");
  if (!Number.isSafeInteger(iterations) || iterations < 1 || storedKey.length !== 32 || serverKey.length !== 32) return null;
  return { iterations, salt: Buffer.from(m[2] as string, "base64"), storedKey, serverKey };
}
