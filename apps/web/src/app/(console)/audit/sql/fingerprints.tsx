"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, type ReactNode } from "react";
import { DataTable, type Columns } from "@/components/data-table";
import { StatusBadge } from "@/components/status-badge";
import { Time } from "@/components/time";
import { linkClass } from "@/components/ui";
import { micros, num } from "@/lib/format";
import { useUrlState } from "@/lib/url-state";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import type { SqlAuditFilter } from "./filters";

type Group = RouterOutputs["sqlAudit"]["fingerprints"][number];

/** The server returns the busiest 100 groups. */
const GROUP_LIMIT = 100;

export function FingerprintsTab({ filter, empty }: { filter: SqlAuditFilter; empty: { title: string; description: ReactNode; action?: ReactNode } }) {
  const trpc = useTRPC();
  const router = useRouter();
  const { href } = useUrlState();
  const groups = useQuery(trpc.sqlAudit.fingerprints.queryOptions(filter));
  // Picking a group shows its statements: the Statements tab, filtered by the fingerprint.
  const statementsOf = useMemo(() => (g: Group) => href({ fingerprint: g.fingerprint, view: null }), [href]);

  const columns = useMemo<Columns<Group>>(
    () => [
      {
        id: "sample",
        header: "Sample statement",
        accessorFn: (g) => g.sample,
        cell: ({ row }) => (
          <span className="block max-w-md min-w-48">
            <Link href={statementsOf(row.original)} className={`${linkClass} block truncate font-mono text-xs`} title="Show these statements">
              {row.original.sample}
            </Link>
            <span className="font-mono text-[11px] text-slate-500">{row.original.fingerprint}</span>
          </span>
        ),
      },
      { id: "total", header: "Total", accessorFn: (g) => g.total, cell: ({ row }) => <span className="tabular-nums">{num(row.original.total)}</span> },
      {
        id: "denied",
        header: "Denied",
        accessorFn: (g) => g.denied,
        cell: ({ row }) =>
          row.original.denied > 0 ? (
            <StatusBadge tone="danger" label={num(row.original.denied)} ariaLabel={`${num(row.original.denied)} denied`} />
          ) : (
            <span className="text-slate-500 tabular-nums">0</span>
          ),
      },
      {
        id: "avgUs",
        header: "Avg duration",
        accessorFn: (g) => g.avgUs,
        cell: ({ row }) => <span className="whitespace-nowrap tabular-nums">{micros(row.original.avgUs)}</span>,
      },
      { id: "lastSeen", header: "Last seen", accessorFn: (g) => new Date(g.lastSeen).getTime(), cell: ({ row }) => <Time value={row.original.lastSeen} /> },
    ],
    [statementsOf],
  );

  return (
    <div className="space-y-2">
      <DataTable
        label="Statements by fingerprint"
        noun="fingerprints"
        data={groups.data}
        isLoading={groups.isLoading}
        error={groups.error}
        columns={columns}
        defaultSort={{ id: "total", desc: true }}
        getRowId={(g) => g.fingerprint}
        search={false}
        toolbar={<p className="text-sm text-slate-600">Statements of the same shape (literals aside) grouped; pick one to see its statements.</p>}
        searchText={(g) => g.sample}
        empty={empty}
        onRowClick={(g) => router.push(statementsOf(g))}
      />
      {groups.data?.length === GROUP_LIMIT && <p className="text-xs text-slate-500">The {GROUP_LIMIT} busiest fingerprints; narrow the filters to see others.</p>}
    </div>
  );
}
