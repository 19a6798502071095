"use client";

import { useQuery } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import Link from "next/link";
import { useMemo } from "react";
import { DataTable, type Columns } from "@/components/data-table";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { btn, linkClass } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Vdb = RouterOutputs["virtualDatabase"]["list"][number];

export function VirtualDatabaseList() {
  const trpc = useTRPC();
  const { can } = useSession();
  const list = useQuery(trpc.virtualDatabase.list.queryOptions());
  const mayCreate = can("virtualDatabase.create");
  const newButton = mayCreate ? (
    <Link href="/mesh/virtual-databases/new" className={btn.primary}>
      <Plus aria-hidden="true" className="size-4" />
      New virtual database
    </Link>
  ) : null;

  const columns = useMemo<Columns<Vdb>>(
    () => [
      {
        id: "name",
        header: "Name",
        accessorFn: (v) => v.name,
        cell: ({ row }) => (
          <Link href={`/mesh/virtual-databases/${row.original.id}`} className={`${linkClass} whitespace-nowrap`}>
            {row.original.name}
          </Link>
        ),
      },
      { id: "environment", header: "Environment", accessorFn: (v) => v.environment },
      {
        id: "strategy",
        header: "Traffic strategy",
        accessorFn: (v) => v.trafficStrategy ?? "",
        cell: ({ row }) => row.original.trafficStrategy ?? <span className="text-slate-400">none</span>,
      },
      {
        id: "backends",
        header: "Backends",
        accessorFn: (v) => v.resolvedBackends.length,
        cell: ({ row }) => {
          const b = row.original.resolvedBackends;
          if (!b.length) return <span className="text-amber-700">0 — no endpoint matches</span>;
          return (
            <span>
              <span className="font-medium tabular-nums">{b.length}</span>
              <span className="text-slate-600">: {b.map((x) => x.name).join(", ")}</span>
            </span>
          );
        },
      },
      {
        id: "accessRules",
        header: "Access rules",
        accessorFn: (v) => v.accessRuleCount,
        cell: ({ row }) => (
          <Link href={`/mesh/access-rules?vdb=${encodeURIComponent(row.original.name)}`} className={linkClass}>
            {row.original.accessRuleCount}
          </Link>
        ),
      },
    ],
    [],
  );

  return (
    <div>
      <PageHeader
        title="Virtual databases"
        description="The names applications connect to through the agent. Each routes to backend endpoints under a traffic strategy and its access rules."
        actions={newButton}
      />
      <DataTable
        label="Virtual databases"
        noun="virtual databases"
        data={list.data}
        isLoading={list.isLoading}
        error={list.error}
        columns={columns}
        defaultSort={{ id: "name" }}
        getRowId={(v) => v.id}
        searchText={(v) => [v.name, v.description, v.environment, v.trafficStrategy ?? "", ...v.resolvedBackends.map((b) => b.name)].join(" ")}
        empty={{
          title: "No virtual databases yet",
          description: mayCreate
            ? "Create one to give an application a database name to connect to; pick its backend endpoints and, optionally, a traffic strategy."
            : "An ADMIN or DBA creates virtual databases. Ask one of them for the database your service needs.",
          action: newButton,
        }}
      />
    </div>
  );
}
