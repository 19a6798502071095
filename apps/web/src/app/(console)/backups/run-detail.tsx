"use client";

import { defaultRestoreName } from "@dbmesh/backup/plan";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { DatabaseBackup, ShieldCheck } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";
import { Alert } from "@/components/alert";
import { ACTIVE_STATUSES, bytes, runDuration, RunStatusBadge } from "@/components/backup-bits";
import { DeleteButton } from "@/components/confirm-dialog";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge } from "@/components/status-badge";
import { Time, useNow } from "@/components/time";
import { useToast } from "@/components/toast";
import { btn, inputClass, linkClass } from "@/components/ui";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import { Facts } from "./plan-detail";

type Run = RouterOutputs["backupRun"]["get"];
type Restore = Run["restores"][number];

export function RunDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { can } = useSession();
  const now = useNow(1000);
  const run = useQuery(
    trpc.backupRun.get.queryOptions(
      { id },
      {
        refetchInterval: (q) => {
          const d = q.state.data;
          const busy = d && ((ACTIVE_STATUSES as readonly string[]).includes(d.status) || d.restores.some((r) => r.status === "QUEUED" || r.status === "RUNNING"));
          return busy ? 1_000 : 15_000;
        },
      },
    ),
  );
  const verify = useMutation(trpc.backupRun.verify.mutationOptions());
  const remove = useMutation(trpc.backupRun.delete.mutationOptions());
  const [restoring, setRestoring] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (run.error) return <QueryError error={run.error} what="the backup run" />;
  if (!run.data) return <LoadingBlock />;
  const r = run.data;
  const restorable = r.status === "SUCCEEDED" && !r.deletedAt;

  return (
    <div className="space-y-6">
      <PageHeader
        title={
          <span className="inline-flex flex-wrap items-center gap-2">
            Backup of {r.plan.name} <RunStatusBadge status={r.status} deleted={!!r.deletedAt} />
          </span>
        }
        description={<>Run {r.id}, queued <Time value={r.queuedAt} precise /></>}
        back={{ href: `/backups/${r.plan.id}`, label: r.plan.name }}
        actions={
          <>
            {restorable && can("backupRun.verify") && (
              <button
                type="button"
                className={btn.secondary}
                disabled={verify.isPending}
                onClick={async () => {
                  setError(null);
                  try {
                    await verify.mutateAsync({ id: r.id });
                    await queryClient.invalidateQueries();
                    toast("Verification queued.");
                  } catch (err) {
                    setError(errorInfo(err).message);
                  }
                }}
              >
                <ShieldCheck aria-hidden="true" className="size-4" />
                Verify again
              </button>
            )}
            {restorable && can("restore.create") && (
              <button type="button" className={btn.primary} onClick={() => setRestoring(true)}>
                <DatabaseBackup aria-hidden="true" className="size-4" />
                Restore…
              </button>
            )}
            {!r.deletedAt && !(ACTIVE_STATUSES as readonly string[]).includes(r.status) && can("backupRun.delete") && (
              <DeleteButton
                what="this backup"
                consequence="Its file is removed from storage. The run stays in the history, marked deleted."
                onDelete={async () => {
                  await remove.mutateAsync({ id: r.id });
                  await queryClient.invalidateQueries();
                  toast("Backup deleted.");
                  router.refresh();
                }}
              />
            )}
          </>
        }
      />
      {error && <Alert tone="error">{error}</Alert>}
      {r.status === "FAILED" && r.error && (
        <Alert tone="error" title="This backup failed">
          {r.error}
        </Alert>
      )}
      {r.status === "RUNNING" && (
        <div aria-live="polite" className="rounded-lg border border-indigo-200 bg-indigo-50 p-4 text-sm text-indigo-900">
          <StatusBadge tone="running" label="dumping" /> <strong className="tabular-nums">{bytes(r.bytesWritten)}</strong> written so far,{" "}
          {runDuration(r, now)} in (attempt {r.attempt} of {r.plan.maxAttempts}, on {r.worker})
        </div>
      )}
      {r.status === "VERIFYING" && (
        <div aria-live="polite" className="rounded-lg border border-indigo-200 bg-indigo-50 p-4 text-sm text-indigo-900">
          <StatusBadge tone="running" label="verifying" /> The dump is written ({bytes(r.sizeBytes)}); it is being read back now.
        </div>
      )}
      <Section title="Details">
        <Facts
          items={[
            ["Source", r.source ? `${r.source.endpointName} / ${r.source.database}` : "—"],
            ["Triggered", r.trigger === "manual" ? `Run now${r.triggeredBy ? ` by ${r.triggeredBy}` : ""}` : r.trigger === "schedule" ? `schedule (${r.slot.replace(/^cron:/, "")})` : r.trigger],
            ["Started", <Time key="s" value={r.startedAt} precise />],
            ["Duration", runDuration(r, now)],
            ["Size", bytes(r.sizeBytes)],
            ["Attempts", `${r.attempt} of ${r.plan.maxAttempts}`],
            ["SHA-256", r.sha256 ? <code key="c" className="font-mono text-xs break-all">{r.sha256}</code> : "—"],
            ["File", r.storageKey ? <code key="f" className="font-mono text-xs break-all">{r.plan.storagePath}/{r.storageKey}</code> : "—"],
            ["Server / pg_dump", r.serverVersion ? `PostgreSQL ${r.serverVersion} / pg_dump ${r.toolVersion}` : "—"],
            ["Verification", r.verifyResult ?? (r.plan.verification === "NONE" ? "not verified (plan says none)" : "—")],
            ["Verified", <Time key="v" value={r.verifiedAt} precise empty="not yet" />],
            ["Deleted", <Time key="d" value={r.deletedAt} precise empty="no" />],
          ]}
        />
      </Section>
      {r.manifest && (
        <Section title="Contents" description="Tables and row counts captured from the same snapshot pg_dump read; restores are checked against these.">
          {r.manifest.tables.length === 0 ? (
            <p className="text-sm text-slate-600">The database had no tables when it was backed up.</p>
          ) : (
          <div className="max-h-72 overflow-auto">
            <table className="min-w-full text-sm" aria-label="Tables in this backup">
              <thead>
                <tr className="text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
                  <th scope="col" className="py-1 pr-4">Table</th>
                  <th scope="col" className="py-1 text-right">Rows</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {r.manifest.tables.map((t) => (
                  <tr key={`${t.schema}.${t.name}`}>
                    <td className="py-1 pr-4 font-mono text-xs">{t.schema}.{t.name}</td>
                    <td className="py-1 text-right tabular-nums">{t.rows.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          )}
        </Section>
      )}
      <Section title="Restores" description="Every restore of this backup, newest first.">
        {r.restores.length === 0 ? <p className="text-sm text-slate-600">Not restored yet.</p> : <RestoreList restores={r.restores} now={now} />}
      </Section>
      <Section title="Log" description="The end of pg_dump's messages for this run.">
        <pre className="max-h-72 overflow-auto rounded bg-slate-900 p-3 font-mono text-xs whitespace-pre-wrap text-slate-100">{r.logTail || "(pg_dump printed nothing)"}</pre>
      </Section>
      {restoring && <RestoreDialog run={r} onClose={() => setRestoring(false)} />}
    </div>
  );
}

const lastLine = (text: string) => text.trim().split("\n").filter(Boolean).pop() ?? "";

function RestoreStatusBadge({ status }: { status: Restore["status"] }) {
  return <RunStatusBadge status={status} />;
}

function RestoreList({ restores, now }: { restores: Restore[]; now: number }) {
  return (
    <ul className="divide-y divide-slate-100" aria-label="Restores">
      {restores.map((x) => (
        <li key={x.id} className="py-2.5 text-sm">
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <RestoreStatusBadge status={x.status} />
            <span>
              into <strong className="font-mono">{x.targetDatabase}</strong> on {x.endpointName}
              {x.overwrite ? " (over the existing database)" : " (new database)"}
            </span>
            <span className="text-xs text-slate-500">
              <Time value={x.queuedAt} /> {x.requestedBy ? `by ${x.requestedBy}` : ""} · {runDuration(x, now)}
            </span>
          </div>
          {x.safetyKey && <p className="mt-1 text-xs text-slate-600">Safety backup of the database it replaced: <code className="font-mono">{x.safetyKey}</code></p>}
          {x.check && (
            <p className={`mt-1 text-xs ${x.check.ok ? "text-green-800" : "text-red-800"}`}>
              Final check: {x.check.tables} tables, {x.check.rows.toLocaleString()} rows{x.check.ok ? ", all matching the backup" : `: ${x.check.problems.join("; ")}`}
            </p>
          )}
          {x.status === "RUNNING" && x.logTail && (
            <p className="mt-1 truncate font-mono text-xs text-indigo-800" aria-live="polite" title="pg_restore's latest step">
              {lastLine(x.logTail)}
            </p>
          )}
          {x.error && <p className="mt-1 text-xs break-words text-red-800">{x.error}</p>}
          {x.logTail && x.status !== "RUNNING" && (
            <details className="mt-1">
              <summary className="cursor-pointer text-xs text-slate-600">pg_restore log</summary>
              <pre className="mt-1 max-h-56 overflow-auto rounded bg-slate-900 p-2 font-mono text-xs whitespace-pre-wrap text-slate-100">{x.logTail}</pre>
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}

/** Restore into a new database (the default), or over an existing one after typing its name. */
function RestoreDialog({ run, onClose }: { run: Run; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const endpoints = useQuery(trpc.endpoint.list.queryOptions());
  const create = useMutation(trpc.restore.create.mutationOptions());
  const ref = useRef<HTMLDialogElement>(null);
  const ids = { title: useId(), ep: useId(), db: useId(), confirm: useId() };
  const [endpointId, setEndpointId] = useState(run.source?.endpointId ?? "");
  const [overwrite, setOverwrite] = useState(false);
  const [name, setName] = useState(() => defaultRestoreName(run.source?.database ?? "restored"));
  const [confirm, setConfirm] = useState("");
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const pgEndpoints = endpoints.data?.filter((e) => e.protocol === "POSTGRESQL") ?? [];

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setFieldErrors({});
    try {
      await create.mutateAsync({ backupRunId: run.id, endpointId, targetDatabase: name, overwrite, confirmName: overwrite ? confirm : undefined });
      await queryClient.invalidateQueries();
      toast(`Restore into "${name}" queued.`);
      onClose();
    } catch (err) {
      const info = errorInfo(err);
      setFieldErrors(info.fieldErrors);
      if (!Object.keys(info.fieldErrors).length) setError(info.message);
    }
  };

  return (
    <dialog ref={ref} aria-labelledby={ids.title} onClose={onClose} className="m-auto w-[calc(100%-2rem)] max-w-lg rounded-lg border border-slate-200 bg-white p-0 text-slate-900 shadow-xl">
      <form className="space-y-4 p-5" onSubmit={submit} noValidate>
        <h2 id={ids.title} className="text-base font-semibold">
          Restore this backup
        </h2>
        <p className="text-sm text-slate-600">
          From {run.plan.name}, <Time value={run.finishedAt} precise /> ({bytes(run.sizeBytes)}). After the restore, its tables and row counts are checked against the backup.
        </p>
        <div>
          <label htmlFor={ids.ep} className="mb-1 block text-sm font-medium text-slate-800">
            Target endpoint
          </label>
          {/* Rendered once the list is there, so the source endpoint shows as chosen. */}
          {endpoints.data ? (
            <select id={ids.ep} className={inputClass} value={endpointId} onChange={(e) => setEndpointId(e.target.value)} aria-invalid={fieldErrors.endpointId ? true : undefined}>
              <option value="">choose…</option>
              {pgEndpoints.map((e) => (
                <option key={e.id} value={e.id}>
                  {e.name} ({e.host}:{e.port})
                </option>
              ))}
            </select>
          ) : (
            <select id={ids.ep} className={inputClass} disabled>
              <option>loading endpoints…</option>
            </select>
          )}
          {fieldErrors.endpointId && <p className="mt-1 text-xs text-red-700">{fieldErrors.endpointId}</p>}
        </div>
        <fieldset>
          <legend className="mb-1 text-sm font-medium text-slate-800">Into</legend>
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="mode" checked={!overwrite} onChange={() => setOverwrite(false)} /> a new database
          </label>
          <label className="mt-1 flex items-center gap-2 text-sm">
            <input type="radio" name="mode" checked={overwrite} onChange={() => setOverwrite(true)} /> an existing database, replacing it
          </label>
        </fieldset>
        <div>
          <label htmlFor={ids.db} className="mb-1 block text-sm font-medium text-slate-800">
            Database name
          </label>
          <input id={ids.db} className={`${inputClass} font-mono`} value={name} onChange={(e) => setName(e.target.value)} aria-invalid={fieldErrors.targetDatabase ? true : undefined} spellCheck={false} autoComplete="off" />
          {fieldErrors.targetDatabase && <p className="mt-1 text-xs text-red-700">{fieldErrors.targetDatabase}</p>}
        </div>
        {overwrite && (
          <Alert tone="warning" title="This replaces the database">
            Everything in <strong className="font-mono">{name || "…"}</strong> is dropped. A safety backup of it is taken first.
            <label htmlFor={ids.confirm} className="mt-2 block text-sm font-medium">
              Type <span className="font-mono">{name}</span> to confirm
            </label>
            <input id={ids.confirm} className={`${inputClass} mt-1 font-mono`} value={confirm} onChange={(e) => setConfirm(e.target.value)} aria-invalid={fieldErrors.confirmName ? true : undefined} autoComplete="off" spellCheck={false} />
            {fieldErrors.confirmName && <p className="mt-1 text-xs text-red-700">{fieldErrors.confirmName}</p>}
          </Alert>
        )}
        {error && <Alert tone="error">{error}</Alert>}
        <div className="flex justify-end gap-2">
          <button type="button" className={btn.secondary} onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className={overwrite ? btn.danger : btn.primary} disabled={create.isPending || (overwrite && confirm !== name)}>
            {create.isPending ? "Queuing…" : overwrite ? "Replace and restore" : "Restore"}
          </button>
        </div>
        <p className="text-xs text-slate-500">
          Restores run on the worker&apos;s restore queue, one at a time per endpoint.{" "}
          <Link href="/audit?objectType=restore_run" className={linkClass}>
            Restore audit log
          </Link>
        </p>
      </form>
    </dialog>
  );
}
