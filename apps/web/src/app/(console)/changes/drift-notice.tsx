"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Alert } from "@/components/alert";
import { linkClass } from "@/components/ui";
import { useTRPC } from "@/trpc/react";

/** The dashboard's flag: targets whose live schema differs from the snapshot after their last change. */
export function SchemaDriftNotice() {
  const trpc = useTRPC();
  const drift = useQuery({ ...trpc.sqlReview.drift.queryOptions({}), refetchInterval: 10_000 });
  if (!drift.data?.length) return null;
  return (
    <Alert tone="warning" title={`Schema drift on ${drift.data.length} target${drift.data.length > 1 ? "s" : ""}`}>
      <ul className="mt-1 space-y-2">
        {drift.data.map((d) => (
          <li key={d.id}>
            <span className="font-medium">{d.endpointName}</span>: its live schema no longer matches the snapshot taken after its last change.
            <pre className="mt-1 max-h-40 overflow-auto text-xs whitespace-pre-wrap">{d.diff.split("\n").filter((l) => /^[+-][^+-]/.test(l)).join("\n")}</pre>
          </li>
        ))}
      </ul>
      <Link href="/changes/history" className={`${linkClass} mt-1 inline-block`}>
        See the schema history and drift
      </Link>
    </Alert>
  );
}
