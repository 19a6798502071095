import type { ShapeTemplate } from "./literal-key";
import type { StatementAnalysis } from "./types";

export interface Entry {
  readonly sql: string;
  readonly analysis: StatementAnalysis;
  /** Set on every hit; the clock hand spares a hot entry once (and cools it) instead of evicting it. */
  hot: boolean;
  /** The text of the last hit, for the caller's own use (see sql-analyzer.ts: which exact texts repeat). */
  lastText: string | null;
  /** The text of the hit before it. */
  previousText: string | null;
  /** For an entry by literal shape: its shape as a template, made the first time a caller wants it. */
  template: ShapeTemplate | null;
}

/**
 * Analyses by exact statement text, bounded in entries, with CLOCK (second-chance) eviction: an
 * approximation of LRU whose hit is one Map lookup and one field store. The textbook Map LRU (delete +
 * set on every hit) measured 1.4 µs per hit here instead of ~20 ns: re-appending to a nearly full V8
 * Map makes it rehash every few operations.
 */
export class AnalysisCache {
  private readonly map = new Map<string, Entry>();
  private readonly ring: Entry[] = [];
  private hand = 0;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.map.size;
  }

  get(sql: string): StatementAnalysis | undefined {
    return this.entry(sql)?.analysis;
  }

  /** The entry (marked used), for a caller that keeps notes in it. */
  entry(sql: string): Entry | undefined {
    const entry = this.map.get(sql);
    if (entry === undefined) return undefined;
    entry.hot = true;
    return entry;
  }

  /**
   * Stores `analysis` under `sql` unless an entry is there already. Returns the entry kept under `sql`
   * (undefined for a cache of no entries).
   */
  set(sql: string, analysis: StatementAnalysis, lastText: string | null = null): Entry | undefined {
    if (this.maxEntries <= 0) return undefined;
    const existing = this.map.get(sql);
    if (existing !== undefined) return existing;
    const entry: Entry = { sql, analysis, hot: false, lastText, previousText: null, template: null };
    if (this.ring.length < this.maxEntries) {
      this.ring.push(entry);
    } else {
      // Sweep from the hand: hot entries cool down and stay, the first cold one goes. Ends within one lap.
      for (;;) {
        const victim = this.ring[this.hand]!;
        if (!victim.hot) break;
        victim.hot = false;
        this.hand = (this.hand + 1) % this.maxEntries;
      }
      this.map.delete(this.ring[this.hand]!.sql);
      this.ring[this.hand] = entry;
      this.hand = (this.hand + 1) % this.maxEntries;
    }
    this.map.set(sql, entry);
    return entry;
  }
}
