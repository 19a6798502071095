"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback } from "react";

function patched(params: URLSearchParams, pathname: string, patch: Record<string, string | null | undefined>): string {
  const next = new URLSearchParams(params.toString());
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined || v === "") next.delete(k);
    else next.set(k, v);
  }
  const qs = next.toString();
  return qs ? `${pathname}?${qs}` : pathname;
}

/**
 * Query-string state: lists keep their search, sort and filters in the URL so a filtered view is a link.
 * `set({ q: "x", sort: null })` replaces the current history entry; null or "" removes a key.
 * `href(patch)` is the same change as a link, for `<Link>` (which adds a history entry).
 */
export function useUrlState() {
  const params = useSearchParams();
  const pathname = usePathname();
  const router = useRouter();
  const get = useCallback((key: string) => params.get(key) ?? "", [params]);
  const set = useCallback(
    (patch: Record<string, string | null | undefined>) => router.replace(patched(params, pathname, patch), { scroll: false }),
    [params, pathname, router],
  );
  const href = useCallback((patch: Record<string, string | null | undefined>) => patched(params, pathname, patch), [params, pathname]);
  return { params, get, set, href };
}
