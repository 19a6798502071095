import type { VirtualDatabaseRuntime } from "../config/snapshot";
import { TokenBucket } from "./token-bucket";

// Statements per second per credential and per virtual database (the virtual database's `rateLimits`). The
// buckets outlive config revisions — a new config must not hand everyone a fresh second of tokens — so they
// are kept by name here and only their rate follows the config.

const buckets = new Map<string, TokenBucket>();

function bucket(key: string, rate: number, now: number): TokenBucket {
  let b = buckets.get(key);
  if (b === undefined) {
    b = new TokenBucket(rate, now);
    buckets.set(key, b);
  } else if (b.rate !== rate) {
    b.setRate(rate);
  }
  return b;
}

export interface RateLimitRefusal {
  /** Which limit: "per credential" or "per virtual database". */
  scope: string;
  rate: number;
}

/** A session's limits; null from `sessionRateLimits` when its virtual database sets none. */
export class SessionRateLimits {
  constructor(
    private readonly credential: TokenBucket | null,
    private readonly database: TokenBucket | null,
  ) {}

  /** Takes `statements` tokens from both buckets at `now` (performance.now()), or none and says which limit refused. */
  take(statements: number, now = performance.now()): RateLimitRefusal | null {
    const c = this.credential;
    const d = this.database;
    if (c !== null && !c.tryTake(statements, now)) return { scope: "per credential", rate: c.rate };
    if (d !== null && !d.tryTake(statements, now)) {
      // Give the credential's tokens back: the statement does not run.
      c?.tryTake(-statements, now);
      return { scope: "per virtual database", rate: d.rate };
    }
    return null;
  }
}

export function sessionRateLimits(vdb: VirtualDatabaseRuntime, credential: string): SessionRateLimits | null {
  const limits = vdb.config.rateLimits;
  const perCredential = limits?.perCredentialPerSecond ?? null;
  const perDatabase = limits?.perDatabasePerSecond ?? null;
  if (perCredential === null && perDatabase === null) return null;
  const now = performance.now();
  return new SessionRateLimits(
    perCredential === null ? null : bucket(`${vdb.name}\u0000${credential}`, perCredential, now),
    perDatabase === null ? null : bucket(vdb.name, perDatabase, now),
  );
}
