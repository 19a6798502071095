/** `1 endpoint`, `3 endpoints`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Only same-site paths are followed after sign-in, never `//evil.example` or an absolute URL. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (next.startsWith("/login")) return "/";
  return next;
}

export function labelRows(labels: Record<string, string> | undefined): { key: string; value: string }[] {
  return Object.entries(labels ?? {}).map(([key, value]) => ({ key, value }));
}

export function labelsFromRows(rows: { key: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** A duration in words a person reads at a glance: `850 ms`, `12.4 s`, `3 min 5 s`, `2 h 10 min`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const totalS = Math.round(s);
  const m = Math.floor(totalS / 60);
  if (m < 60) return totalS % 60 ? `${m} min ${totalS % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** How long ago, short: `just now`, `12 s ago`, `4 min ago`, `3 h ago`, `2 d ago`. */
export function ago(then: number, now: number): string {
  const s = Math.round((now - then) / 1000);
  if (s < 2) return "just now";
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** `12,345` or `210.5`. */
export function num(n: number | null | undefined): string {
  return typeof n === "number" && Number.isFinite(n) ? numberFormat.format(n) : "—";
}

/** `clientConnections` → `Client connections`, `queriesPerSecond` → `Queries per second`. */
export function humanizeKey(key: string): string {
  const words = key
    .replace(/[_-]+/g, " ")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .trim()
    .toLowerCase();
  const ACRONYMS: Record<string, string> = { tls: "TLS", tcp: "TCP", sql: "SQL", qps: "QPS", id: "ID", ms: "ms" };
  const out = words
    .split(" ")
    .map((w) => ACRONYMS[w] ?? w)
    .join(" ");
  return out.charAt(0).toUpperCase() + out.slice(1);
}

/** A size in bytes: `512 B`, `3.4 KiB`, `12.8 MiB`, `1.2 GiB`. */
export function bytes(n: number | null | undefined): string {
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A duration given in microseconds: `85 µs`, `3.2 ms`, `412 ms`, then as `duration()`. */
export function micros(us: number | null | undefined): string {
  if (typeof us !== "number" || !Number.isFinite(us) || us < 0) return "—";
  if (us < 1000) return `${Math.round(us)} µs`;
  const ms = us / 1000;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return duration(ms);
}
