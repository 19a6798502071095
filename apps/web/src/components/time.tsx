"use client";

import { useEffect, useState } from "react";
import { ago } from "@/lib/format";

const full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const short = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** A moment in the user's time zone; the exact UTC value on hover. */
export function Time({
  value,
  precise = false,
  empty = "—",
  wrap = false,
  stacked = false,
}: {
  value: Date | string | null | undefined;
  precise?: boolean;
  empty?: string;
  /** Let a narrow column break the date over two lines. */
  wrap?: boolean;
  /** The date (small) above the time to the second: for log tables, where width is scarce. */
  stacked?: boolean;
}) {
  if (value === null || value === undefined) return <span className="text-slate-400">{empty}</span>;
  const d = toDate(value);
  if (Number.isNaN(d.getTime())) return <span>{String(value)}</span>;
  const iso = d.toISOString();
  if (stacked) {
    return (
      <time dateTime={iso} title={`${iso} (UTC)`} className="block leading-tight whitespace-nowrap">
        <span className="block text-xs text-slate-500">{dateOnly.format(d)}</span>
        <span className="block">{timeOnly.format(d)}</span>
      </time>
    );
  }
  return (
    <time dateTime={iso} title={`${iso} (UTC)`} className={wrap ? undefined : "whitespace-nowrap"}>
      {(precise ? full : short).format(d)}
    </time>
  );
}

/** The current time, re-read every `everyMs`: for "12 s ago" texts that must keep counting. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** "12 s ago", counting; the local time and the exact UTC value on hover. */
export function RelativeTime({ value, empty = "—" }: { value: Date | string | null | undefined; empty?: string }) {
  const now = useNow(1000);
  if (value === null || value === undefined) return <span className="text-slate-400">{empty}</span>;
  const d = toDate(value);
  if (Number.isNaN(d.getTime())) return <span>{String(value)}</span>;
  const iso = d.toISOString();
  return (
    <time dateTime={iso} title={`${full.format(d)} · ${iso} (UTC)`} className="whitespace-nowrap">
      {ago(d.getTime(), now)}
    </time>
  );
}
