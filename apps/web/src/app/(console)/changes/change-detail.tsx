"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useMemo, useState } from "react";
import { Alert } from "@/components/alert";
import { ChangeStatusBadge, ChecksBadge, StageStatusBadge } from "@/components/change-bits";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { SqlEditor } from "@/components/sql-editor";
import { StatusBadge } from "@/components/status-badge";
import { Time } from "@/components/time";
import { useToast } from "@/components/toast";
import { btn, inputClass, linkClass } from "@/components/ui";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import { SqlUpload } from "./change-form";
import { TargetChecks } from "./checks-view";

type Change = RouterOutputs["changeRequest"]["get"];
type Stage = Change["stages"][number];

function useRefresh() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return () => Promise.all([qc.invalidateQueries(trpc.changeRequest.get.pathFilter()), qc.invalidateQueries(trpc.changeRequest.list.pathFilter())]);
}

export function ChangeDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.changeRequest.get.queryOptions({ id }),
    // Checks and stages run in the worker: follow them while they are in flight.
    refetchInterval: (query) => {
      const d = query.state.data;
      if (!d) return false;
      const busy = d.checks.status === "PENDING" || d.checks.status === "RUNNING" || d.stages.some((s) => ["QUEUED", "RUNNING", "SCHEDULED"].includes(s.status));
      return busy ? 1_500 : false;
    },
  });
  if (q.isLoading) return <LoadingBlock label="Loading the change request…" />;
  if (q.error || !q.data) return <QueryError error={q.error} what="the change request" />;
  const c = q.data;
  return (
    <div className="space-y-5">
      <PageHeader
        back={{ href: "/changes", label: "Change requests" }}
        title={c.title}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <ChangeStatusBadge status={c.status} />
            <span>
              {c.virtualDatabaseName ? `virtual database ${c.virtualDatabaseName}` : "chosen endpoints"} · by {c.authorEmail} · <Time value={c.createdAt} /> · version {c.currentVersion}
            </span>
          </span>
        }
      />
      <ChangesSection c={c} />
      <ChecksSection c={c} />
      <ReviewSection c={c} />
      <DeploySection c={c} />
    </div>
  );
}

/** The checks' findings of every target, once per line and message, for the editor's gutter. */
function marksOf(c: Change) {
  const seen = new Set<string>();
  const marks: { line: number; column: number; severity: "error" | "warning" | "info"; message: string }[] = [];
  const add = (m: (typeof marks)[number]) => {
    const key = `${m.line}:${m.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      marks.push(m);
    }
  };
  for (const t of c.checks.targets) {
    if (t.lint.parseError) add({ line: t.lint.parseError.line, column: t.lint.parseError.column, severity: "error", message: `parse error: ${t.lint.parseError.message}` });
    for (const f of t.lint.findings) add({ line: f.line, column: f.column, severity: f.severity, message: `${f.code} (${t.environmentName}): ${f.message}` });
    const e = t.dryRun.error;
    if (e?.line) add({ line: e.line, column: e.column ?? 1, severity: "error", message: `dry run on ${t.environmentName}: ${e.message}` });
  }
  return marks;
}

function ChangesSection({ c }: { c: Change }) {
  const trpc = useTRPC();
  const { can, me, role } = useSession();
  const toast = useToast();
  const refresh = useRefresh();
  const update = useMutation(trpc.changeRequest.updateSql.mutationOptions());
  const close = useMutation(trpc.changeRequest.close.mutationOptions());
  const [editing, setEditing] = useState(false);
  const [sql, setSql] = useState(c.sql);
  const [rollbackSql, setRollbackSql] = useState(c.rollbackSql ?? "");
  const [error, setError] = useState<string | null>(null);
  const mine = c.authorId === me.id;
  const marks = useMemo(() => marksOf(c), [c]);
  const editable = can("changeRequest.updateSql") && (role !== "DEVELOPER" || mine) && ["OPEN", "CHANGES_REQUESTED", "FAILED"].includes(c.status) && !c.stages.some((s) => s.status === "SUCCEEDED");
  return (
    <Section
      title="1. Changes"
      description={c.description || undefined}
      actions={
        <div className="flex gap-2">
          {editable && !editing && (
            <button
              type="button"
              className={btn.secondary}
              onClick={() => {
                setSql(c.sql);
                setRollbackSql(c.rollbackSql ?? "");
                setEditing(true);
              }}
            >
              Edit SQL
            </button>
          )}
          {can("changeRequest.close") && (role !== "DEVELOPER" || mine) && !["CLOSED", "DONE"].includes(c.status) && (
            <button
              type="button"
              className={btn.ghost}
              onClick={async () => {
                try {
                  await close.mutateAsync({ id: c.id });
                  await refresh();
                  toast("Change request closed.");
                } catch (err) {
                  toast(errorInfo(err).message, "error");
                }
              }}
            >
              Close
            </button>
          )}
        </div>
      }
    >
      {error && <Alert tone="error" title="Not saved" className="mb-3">{error}</Alert>}
      <div className="space-y-3">
        <div>
          <div className="mb-1 flex items-center justify-between">
            <h3 className="text-sm font-medium text-slate-800">SQL (version {c.currentVersion})</h3>
            {editing && <SqlUpload label="Upload .sql" onLoad={setSql} />}
          </div>
          <SqlEditor
            label={editing ? "SQL statements" : "SQL of this version"}
            value={editing ? sql : c.sql}
            onChange={editing ? setSql : undefined}
            readOnly={!editing}
            minHeight="6rem"
            marks={editing ? undefined : marks}
          />
        </div>
        {(editing || c.rollbackSql) && (
          <div>
            <h3 className="mb-1 text-sm font-medium text-slate-800">Rollback SQL</h3>
            <SqlEditor label={editing ? "Rollback SQL" : "Rollback SQL of this version"} value={editing ? rollbackSql : (c.rollbackSql ?? "")} onChange={editing ? setRollbackSql : undefined} readOnly={!editing} minHeight="3rem" />
          </div>
        )}
        {editing && (
          <div className="flex justify-end gap-2">
            <button type="button" className={btn.secondary} onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button
              type="button"
              className={btn.primary}
              disabled={update.isPending}
              onClick={async () => {
                setError(null);
                try {
                  const res = await update.mutateAsync({ id: c.id, sql, rollbackSql: rollbackSql || null });
                  setEditing(false);
                  await refresh();
                  toast(res.newVersion ? `Version ${res.version} saved: checks are running again.` : "Nothing changed.");
                } catch (err) {
                  setError(errorInfo(err).message);
                }
              }}
            >
              Save as a new version
            </button>
          </div>
        )}
        {c.versions.length > 1 && (
          <p className="text-sm text-slate-600">
            Versions:{" "}
            {c.versions.map((v) => (
              <span key={v.version} className="mr-3">
                v{v.version} by {v.createdByEmail}, <Time value={v.createdAt} />
              </span>
            ))}
          </p>
        )}
      </div>
    </Section>
  );
}

function ChecksSection({ c }: { c: Change }) {
  const trpc = useTRPC();
  const { can } = useSession();
  const refresh = useRefresh();
  const toast = useToast();
  const rerun = useMutation(trpc.changeRequest.rerunChecks.mutationOptions());
  return (
    <Section
      title="Checks"
      description="Lint under each environment's SQL review policy, a dry run on every target, and the schema before and after it."
      actions={
        <div className="flex items-center gap-2">
          <ChecksBadge status={c.checks.status} errors={c.checks.errorCount} warnings={c.checks.warningCount} />
          {can("changeRequest.rerunChecks") && c.checks.status !== "RUNNING" && (
            <button
              type="button"
              className={btn.small}
              onClick={async () => {
                try {
                  await rerun.mutateAsync({ id: c.id });
                  await refresh();
                } catch (err) {
                  toast(errorInfo(err).message, "error");
                }
              }}
            >
              Run again
            </button>
          )}
        </div>
      }
    >
      {c.checks.status === "FAILED" && <Alert tone="error" title="The checks could not run">{c.checks.error}</Alert>}
      {(c.checks.status === "PENDING" || c.checks.status === "RUNNING") && <p className="text-sm text-slate-600">The worker is checking version {c.currentVersion}…</p>}
      {c.checks.status === "DONE" && c.checks.startedAt && c.checks.finishedAt && (
        <p className="mb-2 text-xs text-slate-500">Checked in {Math.max(0, new Date(c.checks.finishedAt).getTime() - new Date(c.checks.startedAt).getTime())} ms.</p>
      )}
      <div className="space-y-3">
        {c.checks.targets.map((t) => (
          <TargetChecks key={t.endpointId} check={t} />
        ))}
      </div>
    </Section>
  );
}

function ReviewSection({ c }: { c: Change }) {
  const trpc = useTRPC();
  const { can } = useSession();
  const refresh = useRefresh();
  const toast = useToast();
  const bodyId = useId();
  const ackId = useId();
  const [body, setBody] = useState("");
  const [ack, setAck] = useState("");
  const [error, setError] = useState<string | null>(null);
  const approve = useMutation(trpc.changeRequest.approve.mutationOptions());
  const requestChanges = useMutation(trpc.changeRequest.requestChanges.mutationOptions());
  const comment = useMutation(trpc.changeRequest.comment.mutationOptions());
  const run = async (what: "approve" | "requestChanges" | "comment") => {
    setError(null);
    try {
      if (what === "approve") await approve.mutateAsync({ id: c.id, version: c.currentVersion, body, acknowledgement: ack || undefined });
      if (what === "requestChanges") await requestChanges.mutateAsync({ id: c.id, version: c.currentVersion, body });
      if (what === "comment") await comment.mutateAsync({ id: c.id, version: c.currentVersion, body });
      setBody("");
      setAck("");
      await refresh();
      toast(what === "approve" ? "Approved." : what === "comment" ? "Comment added." : "Changes requested.");
    } catch (err) {
      setError(errorInfo(err).message);
    }
  };
  const envs = [...new Map(c.targets.map((t) => [t.environmentName, t.approvalsRequired])).entries()];
  return (
    <Section title="2. Review" description="DBAs approve each version; authors never approve their own change. Check errors block approval; warnings need a reason.">
      <ul className="mb-3 flex flex-wrap gap-2 text-sm" aria-label="Approvals per environment">
        {envs.map(([env, required]) => {
          const ok = c.review.approvers.length >= required;
          return (
            <li key={env}>
              <StatusBadge tone={ok ? "success" : "neutral"} label={`${env}: ${Math.min(c.review.approvers.length, required)}/${required} approvals`} />
            </li>
          );
        })}
      </ul>
      {c.review.changesRequestedBy.length > 0 && <Alert tone="warning" className="mb-3">Changes requested by {c.review.changesRequestedBy.join(", ")}.</Alert>}
      <ol className="mb-4 space-y-2" aria-label="Reviews and comments">
        {c.reviews.length === 0 && <li className="text-sm text-slate-500">No reviews or comments yet.</li>}
        {c.reviews.map((r) => (
          <li key={r.id} className="rounded border border-slate-200 px-3 py-2 text-sm">
            <div className="flex flex-wrap items-center gap-2">
              <span className="font-medium">{r.userEmail}</span>
              {r.kind === "APPROVE" && <StatusBadge tone="success" label="approved" />}
              {r.kind === "REQUEST_CHANGES" && <StatusBadge tone="warning" label="requested changes" />}
              {r.kind === "COMMENT" && <StatusBadge tone="neutral" label="commented" />}
              <span className="text-slate-500">
                v{r.version} · <Time value={r.createdAt} />
              </span>
            </div>
            {r.body && <p className="mt-1 whitespace-pre-wrap text-slate-800">{r.body}</p>}
            {r.acknowledgement && <p className="mt-1 text-slate-700">Warnings acknowledged: {r.acknowledgement}</p>}
          </li>
        ))}
      </ol>
      {can("changeRequest.comment") && c.status !== "CLOSED" && c.status !== "DONE" && (
        <div className="space-y-3">
          {error && <Alert tone="error">{error}</Alert>}
          <div>
            <label htmlFor={bodyId} className="block text-sm font-medium text-slate-800">
              Comment
            </label>
            <textarea id={bodyId} rows={2} className={`${inputClass} mt-1`} value={body} onChange={(e) => setBody(e.target.value)} />
          </div>
          {can("changeRequest.approve") && c.review.warningsNeedAcknowledgement && (
            <div>
              <label htmlFor={ackId} className="block text-sm font-medium text-slate-800">
                Why the warnings are acceptable
              </label>
              <input id={ackId} className={`${inputClass} mt-1`} value={ack} onChange={(e) => setAck(e.target.value)} />
              <p className="mt-1 text-xs text-slate-500">Required to approve: the checks raised {c.checks.warningCount} warning(s).</p>
            </div>
          )}
          {can("changeRequest.approve") && c.review.approveBlockers.length > 0 && (
            <Alert tone="info" title="Approval not possible yet">
              <ul className="list-disc pl-4">
                {c.review.approveBlockers.map((b) => (
                  <li key={b}>{b}</li>
                ))}
              </ul>
            </Alert>
          )}
          <div className="flex flex-wrap gap-2">
            {can("changeRequest.approve") && (
              <button type="button" className={btn.primary} onClick={() => run("approve")} disabled={approve.isPending}>
                Approve
              </button>
            )}
            {can("changeRequest.requestChanges") && (
              <button type="button" className={btn.secondary} onClick={() => run("requestChanges")}>
                Request changes
              </button>
            )}
            <button type="button" className={btn.secondary} onClick={() => run("comment")}>
              Comment
            </button>
          </div>
        </div>
      )}
    </Section>
  );
}

function DeploySection({ c }: { c: Change }) {
  const trpc = useTRPC();
  const { can } = useSession();
  const refresh = useRefresh();
  const toast = useToast();
  const whenId = useId();
  const deploy = useMutation(trpc.changeRequest.deployNext.mutationOptions());
  const [when, setWhen] = useState("");
  const [blockers, setBlockers] = useState<string[] | null>(null);
  // Per-stage limits (defaults as the API's): seconds in the form, milliseconds on the wire.
  const [limits, setLimits] = useState({ lockTimeout: "5", statementTimeout: "600", lockRetries: "3" });
  const limitErrors = {
    lockTimeout: /^\d+(\.\d+)?$/.test(limits.lockTimeout) && Number(limits.lockTimeout) >= 0.1 && Number(limits.lockTimeout) <= 600 ? null : "0.1 to 600 seconds",
    statementTimeout: /^\d+$/.test(limits.statementTimeout) && Number(limits.statementTimeout) >= 1 && Number(limits.statementTimeout) <= 86_400 ? null : "1 to 86400 seconds",
    lockRetries: /^\d+$/.test(limits.lockRetries) && Number(limits.lockRetries) <= 10 ? null : "0 to 10",
  };
  const limitsOk = !limitErrors.lockTimeout && !limitErrors.statementTimeout && !limitErrors.lockRetries;
  const mayDeploy = can("changeRequest.deployNext");
  const next = c.deploy.next;
  const press = async (scheduled: boolean) => {
    if (c.deploy.blockers.length) {
      // The button is never silently grey: pressing it says what blocks it.
      setBlockers(c.deploy.blockers);
      return;
    }
    if (!limitsOk) {
      setBlockers(["fix the stage limits first"]);
      return;
    }
    setBlockers(null);
    try {
      const scheduledAt = scheduled && when ? new Date(when) : undefined;
      await deploy.mutateAsync({
        id: c.id,
        scheduledAt,
        lockTimeoutMs: Math.round(Number(limits.lockTimeout) * 1000),
        statementTimeoutMs: Number(limits.statementTimeout) * 1000,
        lockRetries: Number(limits.lockRetries),
      });
      await refresh();
      toast(scheduledAt ? `Scheduled for ${scheduledAt.toLocaleString()}.` : `Deploying to ${next?.environmentName}…`);
    } catch (err) {
      setBlockers([errorInfo(err).message]);
    }
  };
  const applyStages = c.stages.filter((s) => s.kind === "APPLY" && s.version === c.currentVersion);
  return (
    <Section title="3. Deploy" description="Stage by stage, in environment order. Each stage runs with lock_timeout and statement_timeout, retries lock timeouts, and records every statement on the target.">
      <ol className="space-y-3" aria-label="Rollout stages">
        {c.targets.map((t) => {
          const stages = c.stages.filter((s) => s.endpointName === t.endpointName && s.version === c.currentVersion);
          const latest = applyStages.filter((s) => s.endpointName === t.endpointName).at(-1);
          return (
            <li key={t.endpointId} className="rounded-md border border-slate-200 p-3" aria-label={`Stage ${t.environmentName}`}>
              <div className="flex flex-wrap items-center gap-2 text-sm">
                <span className="font-semibold">{t.environmentName}</span>
                <span className="text-slate-500">{t.endpointName}</span>
                {latest ? <StageStatusBadge status={latest.status} /> : <StageStatusBadge status="PENDING" />}
              </div>
              {stages.map((s) => (
                <StageDetail key={s.id} stage={s} c={c} />
              ))}
            </li>
          );
        })}
      </ol>
      {mayDeploy && next && c.status !== "CLOSED" && (
        <div className="mt-4 flex flex-wrap items-end gap-3">
          <button type="button" className={btn.primary} onClick={() => press(false)} disabled={deploy.isPending}>
            Deploy to {next.environmentName}
          </button>
          <div>
            <label htmlFor={whenId} className="block text-xs font-medium text-slate-700">
              Or in a maintenance window
            </label>
            <div className="mt-1 flex gap-2">
              <input id={whenId} type="datetime-local" className={`${inputClass} w-auto`} value={when} onChange={(e) => setWhen(e.target.value)} />
              <button type="button" className={btn.secondary} onClick={() => press(true)} disabled={!when}>
                Schedule
              </button>
            </div>
          </div>
        </div>
      )}
      {mayDeploy && next && c.status !== "CLOSED" && (
        <details className="mt-3 text-sm">
          <summary className="cursor-pointer text-slate-700">Stage limits</summary>
          <div className="mt-2 flex flex-wrap gap-4">
            {(
              [
                ["lockTimeout", "lock_timeout (s)", "How long a statement may wait for a lock before the transaction is retried."],
                ["statementTimeout", "statement_timeout (s)", "The longest any one statement may run."],
                ["lockRetries", "Lock retries", "Retries after a lock timeout, with exponential backoff."],
              ] as const
            ).map(([key, label, hint]) => (
              <LimitField key={key} label={label} hint={hint} value={limits[key]} error={limitErrors[key]} onChange={(v) => setLimits({ ...limits, [key]: v })} />
            ))}
          </div>
        </details>
      )}
      {blockers && (
        <Alert tone="warning" title="Cannot deploy yet" className="mt-3">
          <ul className="list-disc pl-4">
            {blockers.map((b) => (
              <li key={b}>{b}</li>
            ))}
          </ul>
        </Alert>
      )}
      {c.virtualDatabaseId && (
        <p className="mt-3 text-sm">
          <Link className={linkClass} href={`/changes/history?vdb=${c.virtualDatabaseId}`}>
            Schema history of {c.virtualDatabaseName}
          </Link>
        </p>
      )}
    </Section>
  );
}

function LimitField({ label, hint, value, error, onChange }: { label: string; hint: string; value: string; error: string | null; onChange: (v: string) => void }) {
  const id = useId();
  return (
    <div className="w-44">
      <label htmlFor={id} className="block text-xs font-medium text-slate-700">
        {label}
      </label>
      <input id={id} inputMode="decimal" className={`${inputClass} mt-1`} value={value} aria-invalid={!!error} aria-describedby={`${id}-hint`} onChange={(e) => onChange(e.target.value)} />
      <p id={`${id}-hint`} className={`mt-1 text-xs ${error ? "text-red-700" : "text-slate-500"}`}>
        {error ?? hint}
      </p>
    </div>
  );
}

function StageDetail({ stage, c }: { stage: Stage; c: Change }) {
  const trpc = useTRPC();
  const { can } = useSession();
  const refresh = useRefresh();
  const toast = useToast();
  const retry = useMutation(trpc.changeRequest.retryStage.mutationOptions());
  const rollback = useMutation(trpc.changeRequest.rollbackStage.mutationOptions());
  const cancel = useMutation(trpc.changeRequest.cancelStage.mutationOptions());
  const act = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      await refresh();
      toast(done);
    } catch (err) {
      toast(errorInfo(err).message, "error");
    }
  };
  const hasRollback = !!c.rollbackSql && !c.stages.some((s) => s.kind === "ROLLBACK" && s.endpointName === stage.endpointName && s.version === stage.version);
  return (
    <div className="mt-2 border-t border-slate-100 pt-2 text-sm">
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium">{stage.kind === "APPLY" ? "Apply" : "Rollback"}</span>
        <StageStatusBadge status={stage.status} />
        <span className="text-slate-500">
          by {stage.requestedByEmail ?? "—"}
          {stage.scheduledAt && (
            <>
              {" "}
              · window <Time value={stage.scheduledAt} />
            </>
          )}
          {stage.startedAt && (
            <>
              {" "}
              · started <Time value={stage.startedAt} precise />
            </>
          )}
          {stage.finishedAt && stage.startedAt && <> · {new Date(stage.finishedAt).getTime() - new Date(stage.startedAt).getTime()} ms</>}
          {stage.attempts > 1 && <> · {stage.attempts} attempts</>}
        </span>
        {can("changeRequest.retryStage") && stage.status === "FAILED" && (
          <button type="button" className={btn.small} onClick={() => act(() => retry.mutateAsync({ stageId: stage.id }), "Retrying the stage.")}>
            Retry
          </button>
        )}
        {can("changeRequest.rollbackStage") && stage.kind === "APPLY" && stage.status === "SUCCEEDED" && hasRollback && (
          <button type="button" className={btn.small} onClick={() => act(() => rollback.mutateAsync({ stageId: stage.id }), "Rolling back.")}>
            Roll back
          </button>
        )}
        {can("changeRequest.cancelStage") && (stage.status === "SCHEDULED" || stage.status === "QUEUED") && (
          <button type="button" className={btn.small} onClick={() => act(() => cancel.mutateAsync({ stageId: stage.id }), "Stage cancelled.")}>
            Cancel
          </button>
        )}
      </div>
      {stage.error && (
        <p role="alert" className="mt-1 text-red-800">
          {stage.error}
        </p>
      )}
      {stage.output.length > 0 && (
        <div className="mt-1 overflow-x-auto">
          <table className="w-full text-left text-xs" aria-label={`Statements of the ${stage.environmentName} ${stage.kind.toLowerCase()} stage`}>
            <thead className="text-slate-500">
              <tr>
                <th className="py-1 pr-3 font-medium">#</th>
                <th className="py-1 pr-3 font-medium">Line</th>
                <th className="py-1 pr-3 font-medium">Result</th>
                <th className="py-1 pr-3 font-medium">Command</th>
                <th className="py-1 pr-3 font-medium">Rows</th>
                <th className="py-1 pr-3 font-medium">Time</th>
                <th className="py-1 font-medium">Output</th>
              </tr>
            </thead>
            <tbody>
              {stage.output.map((o) => (
                <tr key={o.index} className="border-t border-slate-100 align-top">
                  <td className="py-1 pr-3">{o.index + 1}</td>
                  <td className="py-1 pr-3">{o.line}</td>
                  <td className="py-1 pr-3">{o.status.replace("_", " ")}</td>
                  <td className="py-1 pr-3 font-mono">{o.command ?? "—"}</td>
                  <td className="py-1 pr-3">{o.rowCount ?? "—"}</td>
                  <td className="py-1 pr-3">{o.durationMs === null ? "—" : `${o.durationMs} ms`}</td>
                  <td className="py-1">{[o.message, ...o.notices].filter(Boolean).join(" · ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
