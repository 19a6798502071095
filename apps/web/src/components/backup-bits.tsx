"use client";

import { useQuery } from "@tanstack/react-query";
import { Ban, Clock, Trash2 } from "lucide-react";
import Link from "next/link";
import { useId } from "react";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import { Section } from "./page-header";
import { StatusBadge } from "./status-badge";
import { Time } from "./time";
import { linkClass } from "./ui";
import { duration } from "@/lib/format";

export type RunRow = RouterOutputs["backupRun"]["list"][number];
export type RunStatus = RunRow["status"];
export const ACTIVE_STATUSES: readonly RunStatus[] = ["QUEUED", "RUNNING", "VERIFYING"];

/** Faster polling while something runs, so progress moves live. */
export function pollEvery(statuses: readonly string[] | undefined, busyMs = 1_500, idleMs = 15_000): number {
  return statuses?.some((s) => (ACTIVE_STATUSES as readonly string[]).includes(s)) ? busyMs : idleMs;
}

export function RunStatusBadge({ status, deleted = false }: { status: RunStatus | "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED"; deleted?: boolean }) {
  if (deleted) return <StatusBadge tone="neutral" icon={Trash2} label="deleted" ariaLabel="succeeded, file deleted since" />;
  switch (status) {
    case "QUEUED":
      return <StatusBadge tone="neutral" icon={Clock} label="queued" />;
    case "RUNNING":
      return <StatusBadge tone="running" label="running" />;
    case "VERIFYING":
      return <StatusBadge tone="running" label="verifying" />;
    case "SUCCEEDED":
      return <StatusBadge tone="success" label="succeeded" />;
    case "FAILED":
      return <StatusBadge tone="danger" label="failed" />;
  }
}

const units = ["B", "KB", "MB", "GB", "TB"];
/** `812 B`, `4.2 MB`, `1.31 GB` (powers of 1024). */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function runDuration(r: { startedAt: Date | null; finishedAt: Date | null }, now = Date.now()): string {
  if (!r.startedAt) return "—";
  return duration((r.finishedAt?.getTime() ?? now) - r.startedAt.getTime());
}

/** A timeline of runs, newest first: status, when, how long, how big, and why it failed. */
export function RunTimeline({ runs, showPlan = false }: { runs: RunRow[]; showPlan?: boolean }) {
  if (runs.length === 0) return <p className="text-sm text-slate-600">No backups have run yet. Use “Run now”, or wait for the schedule.</p>;
  return (
    <ol className="divide-y divide-slate-100" aria-label="Backup runs">
      {runs.map((r) => (
        <li key={r.id} className="py-2.5 text-sm">
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <RunStatusBadge status={r.status} deleted={!!r.deletedAt} />
            <Link href={`/backups/runs/${r.id}`} className={linkClass}>
              {showPlan ? `${r.planName} · ` : ""}
              <Time value={r.queuedAt} />
            </Link>
            <span className="text-xs text-slate-500">
              {r.trigger === "manual" ? `run now${r.triggeredBy ? ` by ${r.triggeredBy}` : ""}` : r.trigger === "schedule" ? "scheduled" : r.trigger}
              {r.attempt > 1 ? ` · attempt ${r.attempt}` : ""}
            </span>
            <span className="ml-auto flex gap-4 text-slate-700 tabular-nums">
              <span title="duration">{runDuration(r)}</span>
              <span title={r.status === "RUNNING" ? "written so far" : "size"} className="min-w-16 text-right">
                {r.status === "RUNNING" ? bytes(r.bytesWritten) : bytes(r.sizeBytes)}
              </span>
            </span>
          </div>
          {r.status === "FAILED" && r.error && <p className="mt-1 text-xs break-words text-red-800">{r.error}</p>}
        </li>
      ))}
    </ol>
  );
}

const COLORS = ["#4f46e5", "#059669", "#d97706", "#dc2626", "#0891b2", "#7c3aed", "#65a30d", "#db2777"];

/**
 * Backup size over time, one line per plan: a small SVG chart (no chart library for one picture).
 * Every point has a tooltip; the numbers are in the list below the chart for screen readers.
 */
export function SizeChart({ series }: { series: RouterOutputs["backupRun"]["sizes"] }) {
  const titleId = useId();
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) return <p className="text-sm text-slate-600">No succeeded backups yet: the chart fills in as backups complete.</p>;
  const W = 640;
  const H = 200;
  const pad = { l: 64, r: 12, t: 10, b: 28 };
  const times = points.map((p) => p.at.getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const maxB = Math.max(...points.map((p) => p.bytes), 1);
  const x = (t: number) => pad.l + (t1 === t0 ? (W - pad.l - pad.r) / 2 : ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r));
  const y = (b: number) => H - pad.b - (b / maxB) * (H - pad.t - pad.b);
  const ticks = [0, 0.5, 1].map((f) => f * maxB);
  const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });
  return (
    <figure>
      <svg viewBox={`0 0 ${W} ${H}`} className="h-auto w-full" role="img" aria-labelledby={titleId}>
        <title id={titleId}>Backup size over time, per plan</title>
        {ticks.map((b) => (
          <g key={b}>
            <line x1={pad.l} x2={W - pad.r} y1={y(b)} y2={y(b)} stroke="#e2e8f0" />
            <text x={pad.l - 6} y={y(b) + 4} textAnchor="end" fontSize="11" fill="#475569">
              {bytes(b)}
            </text>
          </g>
        ))}
        <text x={pad.l} y={H - 8} fontSize="11" fill="#475569">
          {fmt.format(new Date(t0))}
        </text>
        <text x={W - pad.r} y={H - 8} fontSize="11" fill="#475569" textAnchor="end">
          {fmt.format(new Date(t1))}
        </text>
        {series.map((s, i) => {
          const c = COLORS[i % COLORS.length];
          return (
            <g key={s.planId}>
              <polyline fill="none" stroke={c} strokeWidth="2" points={s.points.map((p) => `${x(p.at.getTime())},${y(p.bytes)}`).join(" ")} />
              {s.points.map((p) => (
                <circle key={p.runId} cx={x(p.at.getTime())} cy={y(p.bytes)} r="3.5" fill={c}>
                  <title>{`${s.name}: ${bytes(p.bytes)} at ${fmt.format(p.at)}`}</title>
                </circle>
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-700">
        {series.map((s, i) => {
          const last = s.points[s.points.length - 1];
          return (
            <span key={s.planId} className="inline-flex items-center gap-1.5">
              <span aria-hidden="true" className="inline-block size-2.5 rounded-full" style={{ background: COLORS[i % COLORS.length] }} />
              {s.name}: {s.points.length} backup{s.points.length === 1 ? "" : "s"}, latest {bytes(last?.bytes)}
            </span>
          );
        })}
      </figcaption>
    </figure>
  );
}

/** For the fleet overview: plans whose last backup failed or whose scheduled backup is overdue. */
export function BackupAttention() {
  const trpc = useTRPC();
  const q = useQuery(trpc.backupPlan.attention.queryOptions(undefined, { refetchInterval: 30_000 }));
  if (!q.data || q.data.length === 0) return null;
  return (
    <Section
      title="Backups needing attention"
      description="Plans whose last backup failed, or whose scheduled backup has not happened."
      actions={
        <Link href="/backups" className={`${linkClass} text-sm`}>
          Open Backups
        </Link>
      }
    >
      <ul className="divide-y divide-slate-100" aria-label="Backup plans needing attention">
        {q.data.map((p) => (
          <li key={p.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm">
            {p.attention === "failed" ? (
              <StatusBadge tone="danger" label="last backup failed" />
            ) : (
              <StatusBadge tone="warning" icon={Ban} label="overdue" ariaLabel="scheduled backup overdue" />
            )}
            <Link href={`/backups/${p.id}`} className={linkClass}>
              {p.name}
            </Link>
            <span className="min-w-0 flex-1 text-xs text-slate-600">
              {p.attention === "failed" ? (
                p.lastRun?.error ?? "failed"
              ) : (
                <>
                  due since <Time value={p.overdueSince} />, last good backup {p.lastSuccessAt ? <Time value={p.lastSuccessAt} /> : "never"}
                </>
              )}
            </span>
          </li>
        ))}
      </ul>
    </Section>
  );
}
