import type { LoadBalanceAlgorithm } from "@dbmesh/mesh";

export interface BalancedBackend {
  name: string;
  weight: number;
}

export interface Balancer {
  /** One of `candidates` (the healthy backends of one role), or null when there is none. Allocates nothing. */
  pick(candidates: readonly BalancedBackend[], activeConnections: (name: string) => number): BalancedBackend | null;
}

/** Keeps counters small integers (no drift into doubles after 2^53 picks). */
const WRAP = 0x3fffffff;

class RoundRobin implements Balancer {
  private next = 0;

  pick(candidates: readonly BalancedBackend[]): BalancedBackend | null {
    if (candidates.length === 0) return null;
    const chosen = candidates[this.next % candidates.length]!;
    this.next = (this.next + 1) & WRAP;
    return chosen;
  }
}

class RandomPick implements Balancer {
  constructor(private readonly random: () => number) {}

  pick(candidates: readonly BalancedBackend[]): BalancedBackend | null {
    if (candidates.length === 0) return null;
    return candidates[Math.min(candidates.length - 1, Math.floor(this.random() * candidates.length))]!;
  }
}

/** Fewest active connections; among equals, take turns (so an idle pool does not pile onto the first backend). */
class LeastConnections implements Balancer {
  private turn = 0;

  pick(candidates: readonly BalancedBackend[], activeConnections: (name: string) => number): BalancedBackend | null {
    if (candidates.length === 0) return null;
    let min = Infinity;
    let ties = 0;
    for (const c of candidates) {
      const active = activeConnections(c.name);
      if (active < min) {
        min = active;
        ties = 1;
      } else if (active === min) {
        ties++;
      }
    }
    let skip = this.turn % ties;
    this.turn = (this.turn + 1) & WRAP;
    for (const c of candidates) {
      if (activeConnections(c.name) === min && skip-- === 0) return c;
    }
    return candidates[0]!; // unreachable unless activeConnections changed between the two passes
  }
}

/**
 * Smooth weighted round robin, as nginx does it: every pick adds each backend's weight to its current
 * weight, takes the highest (the first on a tie), and subtracts the total from the winner. Weights 5, 1, 1
 * give a a b a c a a — spread out, not a a a a a b c — and the same sequence on every run.
 */
class SmoothWeighted implements Balancer {
  private names: string[] = [];
  private current: number[] = [];
  private readonly fallback = new RoundRobin();

  pick(candidates: readonly BalancedBackend[]): BalancedBackend | null {
    if (candidates.length === 0) return null;
    if (!this.sameCandidates(candidates)) {
      // The set changed (a backend failed or came back, a new config): start over, as nginx does on reload.
      this.names = candidates.map((c) => c.name);
      this.current = candidates.map(() => 0);
    }
    let total = 0;
    let best = -1;
    for (let i = 0; i < candidates.length; i++) {
      const weight = Math.max(0, candidates[i]!.weight);
      total += weight;
      this.current[i]! += weight;
      if (weight > 0 && (best === -1 || this.current[i]! > this.current[best]!)) best = i;
    }
    if (best === -1) return this.fallback.pick(candidates); // no positive weight at all
    this.current[best]! -= total;
    return candidates[best]!;
  }

  private sameCandidates(candidates: readonly BalancedBackend[]): boolean {
    if (candidates.length !== this.names.length) return false;
    for (let i = 0; i < candidates.length; i++) if (candidates[i]!.name !== this.names[i]) return false;
    return true;
  }
}

/**
 * A balancer keeps state (turns, current weights): make one per pool of candidates (e.g. per virtual
 * database and role), not one per pick. `random` is for tests.
 */
export function createBalancer(algorithm: LoadBalanceAlgorithm, opts?: { random?: () => number }): Balancer {
  switch (algorithm) {
    case "round_robin":
      return new RoundRobin();
    case "random":
      return new RandomPick(opts?.random ?? Math.random);
    case "least_connections":
      return new LeastConnections();
    case "weighted":
      return new SmoothWeighted();
  }
}
