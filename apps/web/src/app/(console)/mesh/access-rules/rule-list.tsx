"use client";

import { useQuery } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import Link from "next/link";
import { useId, useMemo } from "react";
import { DataTable, type Columns } from "@/components/data-table";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { Chips, EffectBadge } from "@/components/status-badge";
import { btn, inputClass, linkClass } from "@/components/ui";
import { useUrlState } from "@/lib/url-state";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import { PrecedenceNote } from "./precedence-note";
import { TryStatement } from "./try-statement";

type Rule = RouterOutputs["accessRule"]["list"][number];

export function AccessRuleList() {
  const trpc = useTRPC();
  const { can } = useSession();
  const { get, set } = useUrlState();
  const vdbFilterId = useId();
  const vdb = get("vdb");
  const list = useQuery(trpc.accessRule.list.queryOptions());
  const vdbs = useQuery(trpc.virtualDatabase.list.queryOptions());
  const mayCreate = can("accessRule.create");
  const newHref = vdb ? `/mesh/access-rules/new?vdb=${encodeURIComponent(vdb)}` : "/mesh/access-rules/new";
  const newButton = mayCreate ? (
    <Link href={newHref} className={btn.primary}>
      <Plus aria-hidden="true" className="size-4" />
      New access rule
    </Link>
  ) : null;

  const rows = useMemo(() => (list.data && vdb ? list.data.filter((r) => r.virtualDatabase === vdb) : list.data), [list.data, vdb]);

  const columns = useMemo<Columns<Rule>>(
    () => [
      {
        id: "name",
        header: "Name",
        accessorFn: (r) => r.name,
        cell: ({ row }) => (
          <Link href={`/mesh/access-rules/${row.original.id}`} className={`${linkClass} whitespace-nowrap`}>
            {row.original.name}
          </Link>
        ),
      },
      { id: "virtualDatabase", header: "Virtual database", accessorFn: (r) => r.virtualDatabase },
      {
        id: "credential",
        header: "Credential",
        accessorFn: (r) => r.credential ?? "",
        cell: ({ row }) => row.original.credential ?? <span className="text-slate-500 italic">all</span>,
      },
      { id: "operations", header: "Operations", accessorFn: (r) => r.operations, enableSorting: false, cell: ({ row }) => <Chips items={row.original.operations} /> },
      { id: "tables", header: "Tables", accessorFn: (r) => r.tables, enableSorting: false, cell: ({ row }) => <Chips items={row.original.tables} /> },
      { id: "effect", header: "Effect", accessorFn: (r) => r.effect, cell: ({ row }) => <EffectBadge effect={row.original.effect} /> },
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
        title="Access rules"
        description="Which credentials may run which operations on which tables of a virtual database. The agent enforces them from parsed SQL."
        actions={newButton}
      />
      <PrecedenceNote />
      <TryStatement defaultVirtualDatabase={vdb || undefined} />
      <DataTable
        label="Access rules"
        noun="access rules"
        data={rows}
        isLoading={list.isLoading}
        error={list.error}
        columns={columns}
        defaultSort={{ id: "name" }}
        getRowId={(r) => r.id}
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
        searchText={(r) => [r.name, r.virtualDatabase, r.credential ?? "all", r.effect, r.description, ...r.operations, ...r.tables].join(" ")}
        empty={{
          title: "No access rules yet",
          description: mayCreate
            ? "Add a rule to allow or deny operations on tables of a virtual database, for one credential or for all of them."
            : "An ADMIN or DBA writes access rules. Ask one of them if your service needs access changed.",
          action: newButton,
        }}
      />
    </div>
  );
}
