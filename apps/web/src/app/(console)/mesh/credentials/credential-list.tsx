"use client";

import { useQuery } from "@tanstack/react-query";
import { KeySquare, Plus } from "lucide-react";
import Link from "next/link";
import { useId, useMemo } from "react";
import { DataTable, type Columns } from "@/components/data-table";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { Chips } from "@/components/status-badge";
import { Time } from "@/components/time";
import { btn, inputClass, linkClass } from "@/components/ui";
import { useUrlState } from "@/lib/url-state";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Credential = RouterOutputs["credential"]["list"][number];

export function CredentialList() {
  const trpc = useTRPC();
  const { can } = useSession();
  const { get, set } = useUrlState();
  const vdbFilterId = useId();
  const vdb = get("vdb");
  const list = useQuery(trpc.credential.list.queryOptions());
  const vdbs = useQuery(trpc.virtualDatabase.list.queryOptions());
  const mayCreate = can("credential.create");
  const newHref = vdb ? `/mesh/credentials/new?vdb=${encodeURIComponent(vdb)}` : "/mesh/credentials/new";
  const newButton = mayCreate ? (
    <Link href={newHref} className={btn.primary}>
      <Plus aria-hidden="true" className="size-4" />
      New credential
    </Link>
  ) : null;

  const rows = useMemo(() => (list.data && vdb ? list.data.filter((c) => c.virtualDatabases.includes(vdb)) : list.data), [list.data, vdb]);

  const columns = useMemo<Columns<Credential>>(
    () => [
      {
        id: "name",
        header: "Name",
        accessorFn: (c) => c.name,
        cell: ({ row }) => (
          <Link href={`/mesh/credentials/${row.original.id}`} className={`${linkClass} font-mono whitespace-nowrap`}>
            {row.original.name}
          </Link>
        ),
      },
      {
        id: "virtualDatabases",
        header: "Virtual databases",
        accessorFn: (c) => c.virtualDatabases,
        cell: ({ row }) => <Chips items={row.original.virtualDatabases} empty="none" />,
      },
      {
        id: "description",
        header: "Description",
        accessorFn: (c) => c.description,
        enableSorting: false,
        cell: ({ row }) => (row.original.description ? <span className="text-slate-700">{row.original.description}</span> : <span className="text-slate-400">—</span>),
      },
      { id: "createdAt", header: "Created", accessorFn: (c) => c.createdAt, cell: ({ row }) => <Time value={row.original.createdAt} /> },
    ],
    [],
  );

  const vdbNames = useMemo(() => {
    const names = new Set((vdbs.data ?? []).map((v) => v.name));
    if (vdb) names.add(vdb);
    return [...names].sort();
  }, [vdbs.data, vdb]);

  return (
    <div>
      <PageHeader
        title="Credentials"
        description="The user names and passwords applications log in to the agent with, and the virtual databases each may connect to. Access rules can narrow them further."
        actions={newButton}
      />
      <DataTable
        label="Credentials"
        noun="credentials"
        data={rows}
        isLoading={list.isLoading}
        error={list.error}
        columns={columns}
        defaultSort={{ id: "name" }}
        getRowId={(c) => c.id}
        filtersActive={!!vdb}
        onClearFilters={() => set({ vdb: null })}
        toolbar={
          <div className="w-full sm:w-56">
            <label htmlFor={vdbFilterId} className="mb-1 block text-sm font-medium text-slate-800">
              Virtual database
            </label>
            <select id={vdbFilterId} className={inputClass} value={vdb} onChange={(e) => set({ vdb: e.target.value || null })}>
              <option value="">all virtual databases</option>
              {vdbNames.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
        }
        searchText={(c) => [c.name, c.description, ...c.virtualDatabases].join(" ")}
        empty={{
          icon: <KeySquare aria-hidden="true" className="size-8 text-slate-400" />,
          title: "No credentials yet",
          description: mayCreate
            ? "Create one per application: it gets a generated password, shown once, and may connect only to the virtual databases you grant it."
            : "An ADMIN or DBA creates application credentials. Ask one of them for a login to the virtual database your service needs.",
          action: newButton,
        }}
      />
    </div>
  );
}
