"use client";

import { useQuery } from "@tanstack/react-query";
import { Pause, Plus } from "lucide-react";
import Link from "next/link";
import { useMemo } from "react";
import { bytes, pollEvery, RunStatusBadge, RunTimeline, SizeChart } from "@/components/backup-bits";
import { DataTable, type Columns } from "@/components/data-table";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge } from "@/components/status-badge";
import { Time } from "@/components/time";
import { btn, linkClass } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Plan = RouterOutputs["backupPlan"]["list"][number];

export function retentionText(p: Pick<Plan, "retentionKeep" | "retentionDays">): string {
  const parts = [p.retentionKeep ? `newest ${p.retentionKeep}` : null, p.retentionDays ? `${p.retentionDays} days` : null].filter(Boolean);
  return parts.length ? `keep ${parts.join(" and ")}` : "keep all";
}

export const VERIFICATION_LABEL = { NONE: "none", LIST: "pg_restore --list", RESTORE: "full restore" } as const;

export function BackupsView() {
  const trpc = useTRPC();
  const { can } = useSession();
  const plans = useQuery(trpc.backupPlan.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const runs = useQuery(
    trpc.backupRun.list.queryOptions({ limit: 30 }, { refetchInterval: (q) => pollEvery(q.state.data?.map((r) => r.status)) }),
  );
  const sizes = useQuery(trpc.backupRun.sizes.queryOptions({ days: 90 }, { refetchInterval: 30_000 }));
  const mayCreate = can("backupPlan.create");
  const newButton = mayCreate ? (
    <Link href="/backups/new" className={btn.primary}>
      <Plus aria-hidden="true" className="size-4" />
      New backup plan
    </Link>
  ) : null;

  const columns = useMemo<Columns<Plan>>(
    () => [
      {
        id: "name",
        header: "Plan",
        accessorFn: (p) => p.name,
        cell: ({ row }) => (
          <Link href={`/backups/${row.original.id}`} className={`${linkClass} whitespace-nowrap`}>
            {row.original.name}
          </Link>
        ),
      },
      {
        id: "source",
        header: "Backs up",
        accessorFn: (p) => p.source.name,
        cell: ({ row }) => (
          <span>
            {row.original.source.name}
            {row.original.database ? <span className="text-slate-500"> / {row.original.database}</span> : null}
            <span className="block text-xs text-slate-500">{row.original.source.kind === "endpoint" ? "endpoint" : "virtual database"}</span>
          </span>
        ),
      },
      {
        id: "schedule",
        header: "Schedule",
        accessorFn: (p) => p.cron,
        cell: ({ row }) => (
          <span>
            {row.original.schedule || row.original.cron}
            <span className="block font-mono text-xs text-slate-500">
              {row.original.cron} · {row.original.timezone}
            </span>
          </span>
        ),
      },
      {
        id: "next",
        header: "Next run",
        accessorFn: (p) => p.nextRunAt,
        cell: ({ row }) =>
          row.original.paused ? <StatusBadge tone="neutral" icon={Pause} label="paused" /> : <Time value={row.original.nextRunAt} />,
      },
      {
        id: "last",
        header: "Last result",
        accessorFn: (p) => p.lastRun?.queuedAt ?? null,
        cell: ({ row }) => {
          const p = row.original;
          return (
            <span className="flex flex-wrap items-center gap-1.5">
              {p.lastRun ? <RunStatusBadge status={p.lastRun.status} /> : <span className="text-slate-400">never run</span>}
              {p.attention === "overdue" && <StatusBadge tone="warning" label="overdue" ariaLabel="scheduled backup overdue" />}
              {p.lastRun && (
                <Link href={`/backups/runs/${p.lastRun.id}`} className="text-xs text-slate-600 hover:underline">
                  <Time value={p.lastRun.queuedAt} /> · {bytes(p.lastRun.sizeBytes)}
                </Link>
              )}
            </span>
          );
        },
      },
      { id: "retention", header: "Retention", accessorFn: (p) => retentionText(p) },
      { id: "verification", header: "Verification", accessorFn: (p) => VERIFICATION_LABEL[p.verification] },
    ],
    [],
  );

  return (
    <div className="space-y-6">
      <PageHeader
        title="Backups"
        description="Plans back up a database on a schedule with pg_dump, check each backup by reading or restoring it, and keep what their retention says."
        actions={newButton}
      />
      <DataTable
        label="Backup plans"
        noun="plans"
        data={plans.data}
        isLoading={plans.isLoading}
        error={plans.error}
        columns={columns}
        defaultSort={{ id: "name" }}
        getRowId={(p) => p.id}
        searchText={(p) => [p.name, p.source.name, p.database ?? "", p.cron, p.schedule, p.lastRun?.status ?? "", p.attention ?? ""].join(" ")}
        empty={{
          title: "No backup plans yet",
          description: mayCreate
            ? "Create a plan for each database you cannot afford to lose: a schedule, where the files go, how long to keep them, and how to verify them."
            : "An ADMIN or DBA sets up backup plans here. Ask one of them to protect the databases you depend on.",
          action: newButton,
        }}
      />
      <Section title="Backup size over time" description="Succeeded backups of the last 90 days, per plan.">
        {sizes.error ? <QueryError error={sizes.error} what="backup sizes" /> : !sizes.data ? <LoadingBlock /> : <SizeChart series={sizes.data} />}
      </Section>
      <Section title="Recent runs" description="The last 30 backups of every plan; running ones update live.">
        {runs.error ? <QueryError error={runs.error} what="backup runs" /> : !runs.data ? <LoadingBlock /> : <RunTimeline runs={runs.data} showPlan />}
      </Section>
    </div>
  );
}
