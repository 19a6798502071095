"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Alert } from "@/components/alert";
import { StageStatusBadge } from "@/components/change-bits";
import { EmptyState } from "@/components/data-table";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { Time } from "@/components/time";
import { useToast } from "@/components/toast";
import { btn, inputClass, linkClass } from "@/components/ui";
import { useUrlState } from "@/lib/url-state";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";

/** Schema history of a virtual database (?vdb=) and the drift found on its targets. */
export function HistoryView() {
  const trpc = useTRPC();
  const url = useUrlState();
  const vdbId = url.get("vdb");
  const vdbs = useQuery(trpc.virtualDatabase.list.queryOptions());
  const history = useQuery({ ...trpc.changeRequest.history.queryOptions({ virtualDatabaseId: vdbId }), enabled: !!vdbId });
  return (
    <div className="space-y-5">
      <PageHeader
        title="Schema history"
        description="Every change applied to a virtual database's targets — who, when, what — with the schema after it; and drift, where a target's live schema no longer matches."
        actions={
          <label className="flex items-center gap-2 text-sm text-slate-700">
            Virtual database
            <select className={`${inputClass} w-auto`} value={vdbId} onChange={(e) => url.set({ vdb: e.target.value || null })}>
              <option value="">Choose…</option>
              {vdbs.data?.map((v) => (
                <option key={v.id} value={v.id}>
                  {v.name}
                </option>
              ))}
            </select>
          </label>
        }
      />
      <DriftSection />
      {!vdbId ? (
        <EmptyState title="Choose a virtual database" description="Its applied changes are listed here, newest first." />
      ) : history.isLoading ? (
        <LoadingBlock label="Loading the history…" />
      ) : history.error || !history.data ? (
        <QueryError error={history.error} what="the schema history" />
      ) : history.data.entries.length === 0 ? (
        <EmptyState title="Nothing applied yet" description={`No change has been rolled out to ${history.data.virtualDatabase.name}.`} />
      ) : (
        <ol className="space-y-3" aria-label={`Applied changes of ${history.data.virtualDatabase.name}`}>
          {history.data.entries.map((e) => (
            <li key={e.stageId} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
              <div className="flex flex-wrap items-center gap-2 text-sm">
                <Link href={`/changes/${e.changeRequestId}`} className={linkClass}>
                  {e.title}
                </Link>
                <span className="text-slate-600">
                  {e.kind === "ROLLBACK" ? "rolled back on" : "applied to"} {e.environmentName} ({e.endpointName}) · v{e.version} · by {e.requestedByEmail ?? "—"} · <Time value={e.appliedAt} />
                </span>
                <StageStatusBadge status={e.status} />
              </div>
              <pre className="mt-2 overflow-x-auto rounded bg-slate-50 p-2 text-xs whitespace-pre-wrap">{e.statements.map((s) => `${s.statement};`).join("\n")}</pre>
              {e.snapshot && (
                <details className="mt-2 text-sm">
                  <summary className="cursor-pointer text-slate-700">Schema after this change (snapshot {e.snapshot.hash.slice(0, 12)})</summary>
                  <pre className="mt-1 max-h-96 overflow-auto rounded bg-slate-50 p-2 text-xs">{e.snapshot.schema}</pre>
                </details>
              )}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

export function DriftSection() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const { can } = useSession();
  const drift = useQuery({ ...trpc.sqlReview.drift.queryOptions({}), refetchInterval: 5_000 });
  const check = useMutation(trpc.sqlReview.checkDriftNow.mutationOptions());
  return (
    <Section
      title="Drift"
      description="A scheduled job compares each target's live schema with the snapshot taken after its last change."
      actions={
        can("sqlReview.checkDriftNow") ? (
          <button
            type="button"
            className={btn.secondary}
            onClick={async () => {
              try {
                await check.mutateAsync({});
                toast("Drift check queued.");
                setTimeout(() => void qc.invalidateQueries(trpc.sqlReview.drift.pathFilter()), 1_500);
              } catch (err) {
                toast(errorInfo(err).message, "error");
              }
            }}
          >
            Check drift now
          </button>
        ) : null
      }
    >
      {drift.error && <QueryError error={drift.error} what="drift" />}
      {drift.data?.length === 0 && <p className="text-sm text-slate-600">No drift: every target matches its last snapshot.</p>}
      <div className="space-y-3">
        {drift.data?.map((d) => (
          <Alert key={d.id} tone="warning" title={`Drift on ${d.endpointName}`}>
            <p>
              Detected <Time value={d.detectedAt} />, last checked <Time value={d.lastCheckedAt} />.
            </p>
            <pre className="mt-1 overflow-x-auto text-xs whitespace-pre-wrap" aria-label={`Drift diff on ${d.endpointName}`}>
              {d.diff}
            </pre>
          </Alert>
        ))}
      </div>
    </Section>
  );
}
