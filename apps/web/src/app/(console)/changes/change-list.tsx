"use client";

import { useQuery } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import Link from "next/link";
import { useMemo } from "react";
import { ChangeStatusBadge, ChecksBadge } from "@/components/change-bits";
import { DataTable, type Columns } from "@/components/data-table";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { Time } from "@/components/time";
import { btn, inputClass, linkClass } from "@/components/ui";
import { useUrlState } from "@/lib/url-state";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Row = RouterOutputs["changeRequest"]["list"][number];
const STATUSES = ["OPEN", "CHANGES_REQUESTED", "ROLLING_OUT", "DONE", "FAILED", "CLOSED"] as const;

export function ChangeList() {
  const trpc = useTRPC();
  const { can } = useSession();
  const url = useUrlState();
  const status = STATUSES.find((s) => s === url.get("status"));
  const list = useQuery({ ...trpc.changeRequest.list.queryOptions({ status }), refetchInterval: 5_000 });
  const newButton = can("changeRequest.create") ? (
    <Link href="/changes/new" className={btn.primary}>
      <Plus aria-hidden="true" className="size-4" />
      New change request
    </Link>
  ) : null;
  const columns = useMemo<Columns<Row>>(
    () => [
      {
        id: "title",
        header: "Title",
        accessorFn: (r) => r.title,
        cell: ({ row }) => (
          <Link href={`/changes/${row.original.id}`} className={linkClass}>
            {row.original.title}
          </Link>
        ),
      },
      { id: "target", header: "Target", accessorFn: (r) => r.target },
      { id: "status", header: "Status", accessorFn: (r) => r.status, cell: ({ row }) => <ChangeStatusBadge status={row.original.status} /> },
      {
        id: "checks",
        header: "Checks",
        accessorFn: (r) => r.errorCount * 1000 + r.warningCount,
        cell: ({ row }) => <ChecksBadge status={row.original.checksStatus} errors={row.original.errorCount} warnings={row.original.warningCount} />,
      },
      { id: "version", header: "Version", accessorFn: (r) => r.version },
      { id: "author", header: "Author", accessorFn: (r) => r.authorEmail },
      { id: "updatedAt", header: "Updated", accessorFn: (r) => r.updatedAt, cell: ({ row }) => <Time value={row.original.updatedAt} /> },
    ],
    [],
  );
  return (
    <div>
      <PageHeader
        title="Change requests"
        description="Schema changes, reviewed before they reach a database: checks (lint and a dry run), approvals per environment, then a rollout stage by stage."
        actions={newButton}
      />
      <DataTable
        label="Change requests"
        noun="change requests"
        data={list.data}
        isLoading={list.isLoading}
        error={list.error}
        columns={columns}
        defaultSort={{ id: "updatedAt", desc: true }}
        getRowId={(r) => r.id}
        searchText={(r) => `${r.title} ${r.target} ${r.authorEmail} ${r.id}`}
        filtersActive={!!status}
        onClearFilters={() => url.set({ status: null })}
        toolbar={
          <label className="flex items-center gap-2 text-sm text-slate-700">
            Status
            <select className={`${inputClass} w-auto`} value={status ?? ""} onChange={(e) => url.set({ status: e.target.value || null })}>
              <option value="">any</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s.toLowerCase().replace("_", " ")}
                </option>
              ))}
            </select>
          </label>
        }
        empty={{
          title: "No change requests yet",
          description: newButton ? "Submit a schema change: write or upload its SQL, pick the virtual database, and dbmesh checks it on every environment." : "Developers and DBAs submit schema changes here.",
          action: newButton,
        }}
      />
    </div>
  );
}
