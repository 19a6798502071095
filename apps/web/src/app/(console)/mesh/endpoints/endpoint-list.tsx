"use client";

import { useQuery } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import Link from "next/link";
import { useMemo } from "react";
import { DataTable, type Columns } from "@/components/data-table";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { Chip, RoleBadge, YesNo } from "@/components/status-badge";
import { btn, linkClass } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Endpoint = RouterOutputs["endpoint"]["list"][number];

const address = (e: Endpoint) => `${e.host}:${e.port}/${e.database}`;

export function EndpointList() {
  const trpc = useTRPC();
  const { can } = useSession();
  const list = useQuery(trpc.endpoint.list.queryOptions());
  const mayCreate = can("endpoint.create");
  const newButton = mayCreate ? (
    <Link href="/mesh/endpoints/new" className={btn.primary}>
      <Plus aria-hidden="true" className="size-4" />
      New endpoint
    </Link>
  ) : null;

  const columns = useMemo<Columns<Endpoint>>(
    () => [
      {
        id: "name",
        header: "Name",
        accessorFn: (e) => e.name,
        cell: ({ row }) => (
          <Link href={`/mesh/endpoints/${row.original.id}`} className={`${linkClass} whitespace-nowrap`}>
            {row.original.name}
          </Link>
        ),
      },
      { id: "environment", header: "Environment", accessorFn: (e) => e.environment },
      {
        id: "protocol",
        header: "Protocol",
        accessorFn: (e) => e.protocol,
        cell: ({ getValue }) => (getValue() === "MYSQL" ? "MySQL" : "PostgreSQL"),
      },
      {
        id: "address",
        header: "Address",
        accessorFn: address,
        cell: ({ row }) => (
          <code className="font-mono text-xs">
            {row.original.host}:{row.original.port}/<wbr />
            {row.original.database}
          </code>
        ),
      },
      { id: "role", header: "Role", accessorFn: (e) => e.role, cell: ({ row }) => <RoleBadge role={row.original.role} /> },
      { id: "weight", header: "Weight", accessorFn: (e) => e.weight },
      {
        id: "labels",
        header: "Labels",
        accessorFn: (e) => Object.keys(e.labels).length,
        enableSorting: false,
        cell: ({ row }) => {
          const entries = Object.entries(row.original.labels);
          if (!entries.length) return <span className="text-slate-400">—</span>;
          return (
            <span className="flex flex-wrap gap-1">
              {entries.map(([k, v]) => (
                <Chip key={k}>
                  {k}={v}
                </Chip>
              ))}
            </span>
          );
        },
      },
      {
        id: "password",
        header: "Password",
        accessorFn: (e) => e.hasPassword,
        cell: ({ row }) => <YesNo value={row.original.hasPassword} />,
      },
    ],
    [],
  );

  return (
    <div>
      <PageHeader
        title="Endpoints"
        description="The real database servers behind virtual databases: where they are, how to log in, and whether they take writes."
        actions={newButton}
      />
      <DataTable
        label="Endpoints"
        noun="endpoints"
        data={list.data}
        isLoading={list.isLoading}
        error={list.error}
        columns={columns}
        defaultSort={{ id: "name" }}
        getRowId={(e) => e.id}
        searchText={(e) =>
          [e.name, e.environment, e.protocol, address(e), e.role, e.username, ...Object.entries(e.labels).map(([k, v]) => `${k}=${v}`)].join(" ")
        }
        empty={{
          title: "No endpoints yet",
          description: mayCreate
            ? "Register the PostgreSQL servers of your fleet here: a primary first, then its replicas. Virtual databases route to them."
            : "An ADMIN or DBA registers the database servers of the fleet here. Ask one of them to add the endpoints you need.",
          action: newButton,
        }}
      />
    </div>
  );
}
