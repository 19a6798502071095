import { queryString, toInstant } from "@/lib/url-filters";

/** What the SQL log's URL holds besides the tab (`view`). Names match the API's filter fields. */
export const FILTER_KEYS = ["range", "from", "to", "virtualDatabase", "credential", "decision", "operation", "table", "fingerprint", "text"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Record<FilterKey, string>;

export const RANGES = [
  { value: "15m", label: "Last 15 minutes", ms: 15 * 60_000, words: "the last 15 minutes" },
  { value: "1h", label: "Last hour", ms: 3600_000, words: "the last hour" },
  { value: "24h", label: "Last 24 hours", ms: 24 * 3600_000, words: "the last 24 hours" },
  { value: "7d", label: "Last 7 days", ms: 7 * 24 * 3600_000, words: "the last 7 days" },
] as const;
export const DEFAULT_RANGE = "1h";

const spanFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** The operations the agent's classifier reports per table (packages/sql). */
export const OPERATIONS = ["select", "insert", "update", "delete", "merge", "truncate", "copy", "ddl", "call"] as const;

const isDecision = (v: string): v is "allowed" | "denied" => v === "allowed" || v === "denied";
const decisionOf = (v: string) => (isDecision(v) ? v : undefined);

/** `custom` when the URL says so or names only a from/to; else a preset, the last hour by default. */
export function rangeOf(f: Filters): string {
  if (f.range === "custom" || RANGES.some((r) => r.value === f.range)) return f.range;
  return f.from || f.to ? "custom" : DEFAULT_RANGE;
}

/**
 * The window the page shows. Presets count back from `anchor` (when the filters were applied or the
 * page refreshed) so that the queries keep one key; custom ranges without a start show the hour
 * before their end, as the server's grouped queries would.
 */
export function windowOf(f: Filters, anchor: number): { from: Date; to?: Date; words: string } {
  const range = rangeOf(f);
  const preset = RANGES.find((r) => r.value === range);
  if (preset) return { from: new Date(anchor - preset.ms), words: preset.words };
  const to = toInstant(f.to);
  const from = toInstant(f.from) ?? new Date((to?.getTime() ?? anchor) - 3600_000);
  const end = to ?? new Date(anchor);
  return { from, to, words: from <= end ? spanFormat.formatRange(from, end) : `${spanFormat.format(from)} – ${spanFormat.format(end)}` };
}

/** The API's filter: the list, the chart, the fingerprint groups and the CSV all get the same one. */
export function apiFilter(f: Filters, anchor: number) {
  const { from, to } = windowOf(f, anchor);
  return {
    from,
    to,
    virtualDatabase: f.virtualDatabase || undefined,
    credential: f.credential || undefined,
    decision: decisionOf(f.decision),
    operation: f.operation || undefined,
    table: f.table || undefined,
    fingerprint: f.fingerprint || undefined,
    text: f.text || undefined,
  };
}
export type SqlAuditFilter = ReturnType<typeof apiFilter>;

export function csvHref(filter: SqlAuditFilter): string {
  return `/api/sql-audit/export${queryString(filter)}`;
}

/** Filters that narrow what is shown beyond the time range. */
export function narrowed(f: Filters): boolean {
  return FILTER_KEYS.some((k) => k !== "range" && k !== "from" && k !== "to" && f[k]);
}
