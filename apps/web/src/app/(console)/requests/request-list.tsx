"use client";

import { useQuery } from "@tanstack/react-query";
import { Inbox, Plus } from "lucide-react";
import Link from "next/link";
import { useId, useMemo } from "react";
import { DataTable, type Columns } from "@/components/data-table";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { Time } from "@/components/time";
import { btn, inputClass, linkClass } from "@/components/ui";
import { useUrlState } from "@/lib/url-state";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import { KIND_LABEL, RequestStatus, STATUSES, statusLabel } from "./request-status";

type Row = RouterOutputs["databaseRequest"]["mine"][number];

/** "My requests" for everyone; DBAs (and auditors) also get the queue of everybody's requests (`?view=queue`). */
export function RequestList() {
  const trpc = useTRPC();
  const { can, me } = useSession();
  const { get, set } = useUrlState();
  const statusId = useId();
  const mayQueue = can("databaseRequest.list");
  const view = mayQueue && get("view") === "queue" ? "queue" : "mine";
  const status = get("status");
  const input = status ? { status: [status as Row["status"]] } : {};
  const mine = useQuery({ ...trpc.databaseRequest.mine.queryOptions(input), enabled: view === "mine", refetchInterval: 3000 });
  const queue = useQuery({ ...trpc.databaseRequest.list.queryOptions(input), enabled: view === "queue", refetchInterval: 3000 });
  const list = view === "queue" ? queue : mine;
  const mayRequest = can("databaseRequest.submit");
  const newButton = mayRequest ? (
    <Link href="/requests/new" className={btn.primary}>
      <Plus aria-hidden="true" className="size-4" />
      Request a database
    </Link>
  ) : null;

  const columns = useMemo<Columns<Row>>(
    () => [
      {
        id: "virtualDatabase",
        header: "Virtual database",
        accessorFn: (r) => r.virtualDatabase,
        cell: ({ row }) => (
          <Link href={`/requests/${row.original.id}`} className={`${linkClass} font-mono whitespace-nowrap`}>
            {row.original.virtualDatabase}
          </Link>
        ),
      },
      {
        id: "kind",
        header: "Kind",
        accessorFn: (r) => `${KIND_LABEL[r.kind] ?? r.kind}${r.kind === "NEW_DATABASE" && r.placement === "SCHEMA" ? " (schema in a shared database)" : ""}`,
      },
      { id: "environment", header: "Environment", accessorFn: (r) => r.environment },
      { id: "status", header: "Status", accessorFn: (r) => r.status, cell: ({ row }) => <RequestStatus status={row.original.status} /> },
      {
        id: "approvals",
        header: "Approvals",
        accessorFn: (r) => r.approvals.length,
        cell: ({ row }) => `${row.original.approvals.length} / ${row.original.approvalsRequired}`,
      },
      { id: "requester", header: "Requested by", accessorFn: (r) => r.requester.email },
      { id: "createdAt", header: "Requested", accessorFn: (r) => r.createdAt, cell: ({ row }) => <Time value={row.original.createdAt} /> },
    ],
    [],
  );

  return (
    <div>
      <PageHeader
        title={view === "queue" ? "Request queue" : "My requests"}
        description={
          view === "queue"
            ? "Every developer's database requests. Open one to approve it (choosing where it is placed), ask for changes or reject it."
            : `Databases and access you (${me.email}) asked for, with their status. A ready request shows its connection string and, once, its password.`
        }
        actions={newButton}
      />
      {mayQueue && (
        <nav aria-label="Request views" className="mb-4 flex gap-2">
          <button type="button" className={view === "mine" ? btn.primary : btn.secondary} aria-current={view === "mine" ? "page" : undefined} onClick={() => set({ view: null })}>
            My requests
          </button>
          <button type="button" className={view === "queue" ? btn.primary : btn.secondary} aria-current={view === "queue" ? "page" : undefined} onClick={() => set({ view: "queue" })}>
            Queue
          </button>
        </nav>
      )}
      <DataTable
        label={view === "queue" ? "Request queue" : "My requests"}
        noun="requests"
        data={list.data}
        isLoading={list.isLoading}
        error={list.error}
        columns={columns}
        defaultSort={{ id: "createdAt", desc: true }}
        getRowId={(r) => r.id}
        filtersActive={!!status}
        onClearFilters={() => set({ status: null })}
        toolbar={
          <div className="w-full sm:w-56">
            <label htmlFor={statusId} className="mb-1 block text-sm font-medium text-slate-800">
              Status
            </label>
            <select id={statusId} className={inputClass} value={status} onChange={(e) => set({ status: e.target.value || null })}>
              <option value="">any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {statusLabel(s)}
                </option>
              ))}
            </select>
          </div>
        }
        searchText={(r) => [r.virtualDatabase, r.environment, r.requester.email, r.team, r.purpose].join(" ")}
        empty={{
          icon: <Inbox aria-hidden="true" className="size-8 text-slate-400" />,
          title: view === "queue" ? "No requests" : "You have not requested anything yet",
          description:
            view === "queue"
              ? "When a developer requests a database or access, it shows up here for review."
              : "Request a new database for your service, or access to an existing virtual database: you get a connection string through the agent.",
          action: view === "mine" ? newButton : undefined,
        }}
      />
    </div>
  );
}
