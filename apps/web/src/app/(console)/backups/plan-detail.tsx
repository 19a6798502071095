"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Pause, Pencil, Play } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { Alert } from "@/components/alert";
import { pollEvery, RunTimeline, SizeChart } from "@/components/backup-bits";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge } from "@/components/status-badge";
import { Time } from "@/components/time";
import { useToast } from "@/components/toast";
import { btn, linkClass } from "@/components/ui";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";
import { retentionText, VERIFICATION_LABEL } from "./backups-view";

export function Facts({ items }: { items: [string, React.ReactNode][] }) {
  return (
    <dl className="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-2 lg:grid-cols-3">
      {items.map(([k, v]) => (
        <div key={k} className="min-w-0">
          <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{k}</dt>
          <dd className="mt-0.5 break-words text-slate-900">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function PlanDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { can } = useSession();
  const plan = useQuery(trpc.backupPlan.get.queryOptions({ id }, { refetchInterval: 10_000 }));
  const runs = useQuery(trpc.backupRun.list.queryOptions({ planId: id, limit: 100 }, { refetchInterval: (q) => pollEvery(q.state.data?.map((r) => r.status)) }));
  const sizes = useQuery(trpc.backupRun.sizes.queryOptions({ planId: id, days: 365 }, { refetchInterval: 30_000 }));
  const runNow = useMutation(trpc.backupPlan.runNow.mutationOptions());
  const [error, setError] = useState<string | null>(null);

  if (plan.error) return <QueryError error={plan.error} what="the backup plan" />;
  if (!plan.data) return <LoadingBlock />;
  const p = plan.data;

  const onRunNow = async () => {
    setError(null);
    try {
      await runNow.mutateAsync({ planId: p.id });
      await queryClient.invalidateQueries();
      toast(`Backup of "${p.name}" queued.`);
    } catch (err) {
      setError(errorInfo(err).message);
    }
  };

  return (
    <div className="space-y-6">
      <PageHeader
        title={p.name}
        description={`Backs up ${p.source.kind === "endpoint" ? "endpoint" : "virtual database"} ${p.source.name}${p.database ? ` / ${p.database}` : ""} with pg_dump (custom format).`}
        back={{ href: "/backups", label: "Backups" }}
        actions={
          <>
            {can("backupPlan.update") && (
              <Link href={`/backups/${p.id}/edit`} className={btn.secondary}>
                <Pencil aria-hidden="true" className="size-4" />
                Edit
              </Link>
            )}
            {can("backupPlan.runNow") && (
              <button type="button" className={btn.primary} onClick={onRunNow} disabled={runNow.isPending}>
                <Play aria-hidden="true" className="size-4" />
                {runNow.isPending ? "Queuing…" : "Run now"}
              </button>
            )}
          </>
        }
      />
      {error && <Alert tone="error" title="Could not start the backup">{error}</Alert>}
      {p.attention === "failed" && (
        <Alert tone="error" title="The last backup failed">
          {p.lastRun?.error}{" "}
          {p.lastRun && (
            <Link href={`/backups/runs/${p.lastRun.id}`} className={linkClass}>
              See the run
            </Link>
          )}
        </Alert>
      )}
      {p.attention === "overdue" && (
        <Alert tone="warning" title="A scheduled backup is overdue">
          Due since <Time value={p.overdueSince} />; the last good backup is {p.lastSuccessAt ? <Time value={p.lastSuccessAt} /> : "none"}. Is the worker running?
        </Alert>
      )}
      <Section title="Plan">
        <Facts
          items={[
            ["Schedule", <span key="s">{p.schedule} <span className="font-mono text-xs text-slate-500">({p.cron}, {p.timezone})</span></span>],
            ["Next run", p.paused ? <StatusBadge key="p" tone="neutral" icon={Pause} label="paused" /> : <Time key="n" value={p.nextRunAt} />],
            ["Last good backup", <Time key="l" value={p.lastSuccessAt} empty="none yet" />],
            ["Storage", <span key="st" className="font-mono text-xs">{p.storageKind}: {p.storagePath}</span>],
            ["Retention", retentionText(p)],
            ["Verification", VERIFICATION_LABEL[p.verification]],
            ["Attempts", String(p.maxAttempts)],
            ["Method", p.method],
          ]}
        />
      </Section>
      <Section title="Backup size over time">
        {sizes.error ? <QueryError error={sizes.error} what="backup sizes" /> : !sizes.data ? <LoadingBlock /> : <SizeChart series={sizes.data} />}
      </Section>
      <Section title="Runs" description="Newest first; a running backup's size grows live.">
        {runs.error ? <QueryError error={runs.error} what="runs" /> : !runs.data ? <LoadingBlock /> : <RunTimeline runs={runs.data} />}
      </Section>
    </div>
  );
}
