"use client";

import { useQuery } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import Link from "next/link";
import { useMemo } from "react";
import { DataTable, type Columns } from "@/components/data-table";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { YesNo } from "@/components/status-badge";
import { btn, linkClass } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import { LOAD_BALANCE_LABEL } from "./labels";

type Strategy = RouterOutputs["trafficStrategy"]["list"][number];

export function StrategyList() {
  const trpc = useTRPC();
  const { can } = useSession();
  const list = useQuery(trpc.trafficStrategy.list.queryOptions());
  const mayCreate = can("trafficStrategy.create");
  const newButton = mayCreate ? (
    <Link href="/mesh/traffic-strategies/new" className={btn.primary}>
      <Plus aria-hidden="true" className="size-4" />
      New traffic strategy
    </Link>
  ) : null;

  const columns = useMemo<Columns<Strategy>>(
    () => [
      {
        id: "name",
        header: "Name",
        accessorFn: (s) => s.name,
        cell: ({ row }) => (
          <Link href={`/mesh/traffic-strategies/${row.original.id}`} className={`${linkClass} whitespace-nowrap`}>
            {row.original.name}
          </Link>
        ),
      },
      { id: "loadBalance", header: "Load balancing", accessorFn: (s) => LOAD_BALANCE_LABEL[s.loadBalance] ?? s.loadBalance },
      {
        id: "rw",
        header: "R/W split",
        accessorFn: (s) => s.readWriteSplitting.enabled,
        cell: ({ row }) => <YesNo value={row.original.readWriteSplitting.enabled} yes="on" no="off" />,
      },
      {
        id: "pool",
        header: "Pool",
        accessorFn: (s) => s.connectionPool.maxSize,
        cell: ({ row }) => (
          <span className="whitespace-nowrap">
            {row.original.connectionPool.mode} · {row.original.connectionPool.maxSize}
          </span>
        ),
      },
      { id: "circuitBreaks", header: "Circuit breaks", accessorFn: (s) => s.circuitBreaks.length },
      { id: "concurrency", header: "Concurrency controls", accessorFn: (s) => s.concurrencyControls.length },
      {
        id: "usedBy",
        header: "Used by",
        accessorFn: (s) => s.usedBy.length,
        cell: ({ row }) => (row.original.usedBy.length ? row.original.usedBy.join(", ") : <span className="text-slate-400">unused</span>),
      },
    ],
    [],
  );

  return (
    <div>
      <PageHeader
        title="Traffic strategies"
        description="How the agent spreads and limits traffic: load balancing, read/write splitting, connection pooling, circuit breaks and concurrency limits."
        actions={newButton}
      />
      <DataTable
        label="Traffic strategies"
        noun="traffic strategies"
        data={list.data}
        isLoading={list.isLoading}
        error={list.error}
        columns={columns}
        defaultSort={{ id: "name" }}
        getRowId={(s) => s.id}
        searchText={(s) => [s.name, s.description, s.loadBalance, s.connectionPool.mode, ...s.usedBy].join(" ")}
        empty={{
          title: "No traffic strategies yet",
          description: mayCreate
            ? "Without one, a virtual database sends everything to its primary with a default pool. Create a strategy to split reads to replicas, pool connections or cap runaway queries."
            : "An ADMIN or DBA defines traffic strategies. Virtual databases without one use the primary and a default pool.",
          action: newButton,
        }}
      />
    </div>
  );
}
