"use client";

import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useUrlState } from "./url-state";

/**
 * A filter form over query-string keys, as the audit logs use it: `applied` is what the URL says
 * (and what the queries use), `draft` is what the form shows. Text fields apply on submit, selects at
 * once (`change(key, value, true)`); another page or a link changing the URL resets the draft.
 * `keys` must be a constant (it keys a memo).
 */
export function useUrlFilters<K extends string>(keys: readonly K[]) {
  const { get, set } = useUrlState();
  const applied = useMemo(() => Object.fromEntries(keys.map((k) => [k, get(k)])) as Record<K, string>, [get, keys]);
  const [draft, setDraft] = useState(applied);
  useEffect(() => setDraft(applied), [applied]);

  const apply = (next: Partial<Record<K, string>>) => set(Object.fromEntries(keys.map((k) => [k, next[k] || null])));
  const update = (patch: Partial<Record<K, string>>, immediately = false) => {
    const next = { ...draft, ...patch };
    setDraft(next);
    if (immediately) apply(next);
  };
  return {
    applied,
    draft,
    apply,
    clear: () => apply({}),
    submit: (e: FormEvent) => {
      e.preventDefault();
      apply(draft);
    },
    change: (k: K, v: string, immediately = false) => update({ [k]: v } as Partial<Record<K, string>>, immediately),
    /** Several fields at once, e.g. a range preset that also clears from/to. */
    update,
  };
}

/** `datetime-local` values are the user's local time; the server wants an instant. */
export function toInstant(local: string): Date | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** An instant as a `datetime-local` value in the user's time zone (to the minute). */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Options of a filter select: what the server knows plus the current value (a link may name another). */
export function withCurrent(list: readonly string[] | undefined, current: string): string[] {
  const all = new Set(list ?? []);
  if (current) all.add(current);
  return [...all].sort();
}

/** A query string of the non-empty values, for export links. */
export function queryString(values: Record<string, string | Date | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) {
    if (v instanceof Date) qs.set(k, v.toISOString());
    else if (v) qs.set(k, v);
  }
  const s = qs.toString();
  return s ? `?${s}` : "";
}
