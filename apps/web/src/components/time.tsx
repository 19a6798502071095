"use client";

const full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const short = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A moment in the user's time zone; the exact UTC value on hover. */
export function Time({ value, precise = false, empty = "—" }: { value: Date | string | null | undefined; precise?: boolean; empty?: string }) {
  if (value === null || value === undefined) return <span className="text-slate-400">{empty}</span>;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return <span>{String(value)}</span>;
  const iso = d.toISOString();
  return (
    <time dateTime={iso} title={`${iso} (UTC)`} className="whitespace-nowrap">
      {(precise ? full : short).format(d)}
    </time>
  );
}
