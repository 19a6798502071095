// FNV-1a (64-bit) rather than node:crypto: this package is also bundled for the browser, and the digest only
// has to tell configs apart in logs and on the fleet page — it is not a security boundary.
const OFFSET_BASIS = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** A short, stable digest of `text`: `fnv1a64:` and 16 hex digits. */
export function fingerprint(text: string): string {
  let hash = OFFSET_BASIS;
  for (const byte of new TextEncoder().encode(text)) {
    hash = ((hash ^ BigInt(byte)) * PRIME) & MASK;
  }
  return `fnv1a64:${hash.toString(16).padStart(16, "0")}`;
}
