"use client";

import { useId, useMemo } from "react";
import { Spinner, QueryError } from "@/components/loading";
import { num } from "@/lib/format";

type Point = { minute: Date | string; total: number; denied: number };
type Bucket = { at: number; total: number; denied: number };

// At most this many bars, so that each stays wide enough to see and to hover at 390 px.
const MAX_BARS = 120;
const BUCKET_MINUTES = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];

/** The server counts per minute; long ranges are summed into wider buckets. */
function bucketize(points: readonly Point[], from: number, to: number) {
  const spanMin = Math.max(1, (to - from) / 60_000);
  const minutes = BUCKET_MINUTES.find((m) => spanMin / m <= MAX_BARS) ?? 1440;
  const size = minutes * 60_000;
  const first = Math.floor(from / size) * size;
  // A late event (clock skew, the minute just begun) widens the axis rather than going missing.
  const lastPoint = points.reduce((m, p) => Math.max(m, new Date(p.minute).getTime()), 0);
  const last = Math.floor(Math.max(to - 1, lastPoint) / size) * size;
  const buckets: Bucket[] = [];
  for (let at = first; at <= last; at += size) buckets.push({ at, total: 0, denied: 0 });
  for (const p of points) {
    const i = Math.floor((new Date(p.minute).getTime() - first) / size);
    const b = buckets[Math.min(Math.max(i, 0), buckets.length - 1)];
    if (!b) continue;
    b.total += p.total;
    b.denied += p.denied;
  }
  return { buckets, minutes, size };
}

/** 0 → 1, 7 → 10, 23 → 25, 140 → 200: a round top for the y axis. */
function niceMax(max: number): number {
  if (max <= 1) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 2.5, 5, 10].map((f) => f * step).find((v) => v >= max && Number.isInteger(v)) ?? 10 * step;
}

/** `1 statement`, `1,204 statements`. */
const statements = (n: number) => `${num(n)} ${n === 1 ? "statement" : "statements"}`;

function per(minutes: number): string {
  if (minutes === 1) return "minute";
  if (minutes < 60) return `${minutes} minutes`;
  if (minutes === 60) return "hour";
  return `${minutes / 60} hours`;
}

export function PerMinuteChart({
  data,
  error,
  from,
  to,
  words,
}: {
  data: readonly Point[] | undefined;
  error: unknown;
  from: Date;
  to: Date;
  /** The time range in words, e.g. "the last 24 hours". */
  words: string;
}) {
  const headingId = useId();
  const chart = useMemo(() => (data ? bucketize(data, from.getTime(), to.getTime()) : null), [data, from, to]);

  const heading = `Statements per ${chart ? per(chart.minutes) : "minute"}`;
  if (error) return <QueryError error={error} what="the statement counts" />;

  let body;
  let summary = "";
  if (!chart) {
    body = (
      <div className="flex h-44 items-center justify-center">
        <Spinner label="Counting statements…" />
      </div>
    );
  } else {
    const { buckets, minutes, size } = chart;
    const total = buckets.reduce((s, b) => s + b.total, 0);
    const denied = buckets.reduce((s, b) => s + b.denied, 0);
    const busiest = buckets.reduce<Bucket | null>((m, b) => (b.total > (m?.total ?? 0) ? b : m), null);
    const top = niceMax(busiest?.total ?? 0);
    const span = buckets.length * size;
    const long = span > 36 * 3600_000;
    const tick = new Intl.DateTimeFormat(undefined, long ? { weekday: "short", hour: "2-digit", minute: "2-digit" } : { hour: "2-digit", minute: "2-digit" });
    const full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
    const n = buckets.length;
    const ticks = [...new Set([0, Math.round(n / 3), Math.round((2 * n) / 3), n])];
    const y = (v: number) => 100 - (v / top) * 100;
    // A bar of one statement among thousands still shows.
    const h = (v: number) => (v > 0 ? Math.max((v / top) * 100, 1.5) : 0);

    summary = `${statements(total)}, ${num(denied)} denied`;
    const label =
      `${heading} over ${words}: ${summary}.` +
      (busiest ? ` Busiest: ${full.format(busiest.at)} with ${statements(busiest.total)}.` : "");

    body = (
      <>
        <div className="mt-3 grid grid-cols-[auto_1fr] gap-x-2">
          <div className="flex h-36 flex-col justify-between text-right text-[11px] leading-none text-slate-500 tabular-nums" aria-hidden="true">
            <span>{num(top)}</span>
            {Number.isInteger(top / 2) && <span>{num(top / 2)}</span>}
            <span>0</span>
          </div>
          <svg role="img" aria-label={label} viewBox={`0 0 ${n} 100`} preserveAspectRatio="none" className="h-36 w-full overflow-visible">
            {[0, 50, 100].map((g) => (
              <line key={g} x1={0} x2={n} y1={g} y2={g} className="stroke-slate-200" strokeWidth={1} vectorEffect="non-scaling-stroke" />
            ))}
            {buckets.map((b, i) => (
              <g key={b.at}>
                <title>{`${full.format(b.at)}: ${statements(b.total)}, ${num(b.denied)} denied`}</title>
                <rect x={i} y={0} width={1} height={100} className="fill-transparent hover:fill-slate-100" />
                {b.total > 0 && <rect x={i + 0.12} y={100 - h(b.total)} width={0.76} height={h(b.total)} className="pointer-events-none fill-indigo-300" />}
                {b.denied > 0 && <rect x={i + 0.12} y={100 - h(b.denied)} width={0.76} height={h(b.denied)} className="pointer-events-none fill-red-600" />}
              </g>
            ))}
            <line x1={0} x2={n} y1={y(0)} y2={y(0)} className="stroke-slate-400" strokeWidth={1} vectorEffect="non-scaling-stroke" />
          </svg>
          <span />
          <div className="relative mt-1 h-4 text-[11px] whitespace-nowrap text-slate-500 tabular-nums" aria-hidden="true">
            {ticks.map((t) => (
              <span
                key={t}
                className="absolute top-0"
                style={{ left: `${(t / n) * 100}%`, transform: t === 0 ? undefined : t === n ? "translateX(-100%)" : "translateX(-50%)" }}
              >
                {tick.format(buckets[0]!.at + t * size)}
              </span>
            ))}
          </div>
        </div>
        {/* sr-only on a wrapper: a table ignores the 1 px width and would widen the page. */}
        <div className="sr-only">
          <table>
            <caption>
              {heading} over {words}; periods without statements are left out.
            </caption>
            <thead>
              <tr>
                <th scope="col">{minutes === 1 ? "Minute" : "Period starting"}</th>
                <th scope="col">Statements</th>
                <th scope="col">Denied</th>
              </tr>
            </thead>
            <tbody>
              {buckets
                .filter((b) => b.total > 0)
                .map((b) => (
                  <tr key={b.at}>
                    <th scope="row">{full.format(b.at)}</th>
                    <td>{b.total}</td>
                    <td>{b.denied}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </>
    );
  }

  return (
    <section aria-labelledby={headingId} className="relative rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
        <h2 id={headingId} className="text-sm font-semibold text-slate-900">
          {heading} <span className="font-normal text-slate-500">· {words}</span>
        </h2>
        <div className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-600">
          {summary && (
            <p className="font-medium text-slate-800">
              {summary}
            </p>
          )}
          <span className="inline-flex items-center gap-1.5">
            <span aria-hidden="true" className="size-2.5 rounded-sm bg-indigo-300" />
            all statements
          </span>
          <span className="inline-flex items-center gap-1.5">
            <span aria-hidden="true" className="size-2.5 rounded-sm bg-red-600" />
            denied
          </span>
        </div>
      </div>
      {body}
    </section>
  );
}
