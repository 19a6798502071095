"use client";

import { useQuery } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import Link from "next/link";
import { useMemo } from "react";
import { DataTable, type Columns } from "@/components/data-table";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge } from "@/components/status-badge";
import { Time } from "@/components/time";
import { btn, linkClass } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Env = RouterOutputs["environment"]["list"][number];

export function ProductionBadge({ production }: { production: boolean }) {
  return production ? (
    <StatusBadge tone="warning" label="production" />
  ) : (
    <StatusBadge tone="neutral" label="non-production" />
  );
}

export function EnvironmentList() {
  const trpc = useTRPC();
  const { can } = useSession();
  const list = useQuery(trpc.environment.list.queryOptions());
  const mayCreate = can("environment.create");
  const newButton = mayCreate ? (
    <Link href="/settings/environments/new" className={btn.primary}>
      <Plus aria-hidden="true" className="size-4" />
      New environment
    </Link>
  ) : null;
  const columns = useMemo<Columns<Env>>(
    () => [
      {
        id: "name",
        header: "Name",
        accessorFn: (e) => e.name,
        cell: ({ row }) => (
          <Link href={`/settings/environments/${row.original.id}`} className={`${linkClass} whitespace-nowrap`}>
            {row.original.name}
          </Link>
        ),
      },
      {
        id: "description",
        header: "Description",
        accessorFn: (e) => e.description,
        cell: ({ getValue }) => (getValue<string>() ? getValue<string>() : <span className="text-slate-400">—</span>),
      },
      {
        id: "stage",
        header: "Rollout stage",
        accessorFn: (e) => e.stage,
        cell: ({ row }) => (
          <Link href="/changes/policies" className={linkClass} title="Schema changes deploy to lower stages first; set it in the SQL review policy">
            {row.original.stage}
          </Link>
        ),
      },
      { id: "production", header: "Production", accessorFn: (e) => e.production, cell: ({ row }) => <ProductionBadge production={row.original.production} /> },
      { id: "updatedAt", header: "Last changed", accessorFn: (e) => e.updatedAt, cell: ({ row }) => <Time value={row.original.updatedAt} /> },
    ],
    [],
  );
  return (
    <div>
      <PageHeader
        title="Environments"
        description="Groups of endpoints and virtual databases (production, staging, …). A virtual database only routes to endpoints of its own environment."
        actions={newButton}
      />
      <DataTable
        label="Environments"
        noun="environments"
        data={list.data}
        isLoading={list.isLoading}
        error={list.error}
        columns={columns}
        defaultSort={{ id: "name" }}
        getRowId={(e) => e.id}
        searchText={(e) => `${e.name} ${e.description} ${e.production ? "production" : ""}`}
        empty={{
          title: "No environments yet",
          description: mayCreate
            ? "Create one first (for example production and staging): every endpoint and virtual database belongs to an environment."
            : "An ADMIN or DBA creates environments.",
          action: newButton,
        }}
      />
    </div>
  );
}
