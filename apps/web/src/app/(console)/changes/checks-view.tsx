"use client";

import Link from "next/link";
import { SeverityBadge } from "@/components/change-bits";
import { StatusBadge } from "@/components/status-badge";
import { linkClass } from "@/components/ui";
import type { RouterOutputs } from "@/trpc/types";

type Check = RouterOutputs["changeRequest"]["get"]["checks"]["targets"][number];

const DRY: Record<string, ["success" | "danger" | "neutral" | "info", string]> = {
  ok: ["success", "ok"],
  error: ["danger", "error"],
  not_dry_run: ["info", "not dry-run"],
  not_run: ["neutral", "not run"],
};

/** One target's checks: lint findings by line, the dry run per statement, and the schema diff side by side. */
export function TargetChecks({ check }: { check: Check }) {
  const findings = [...check.lint.findings].sort((a, b) => a.line - b.line || a.column - b.column);
  return (
    <section aria-label={`Checks on ${check.environmentName} (${check.endpointName})`} className="rounded-md border border-slate-200 p-3">
      <h3 className="flex flex-wrap items-center gap-2 text-sm font-semibold text-slate-900">
        {check.environmentName} <span className="font-normal text-slate-500">{check.endpointName}</span>
        {check.errorCount > 0 ? <StatusBadge tone="danger" label={`${check.errorCount} error(s)`} /> : <StatusBadge tone="success" label="no errors" />}
        {check.warningCount > 0 && <StatusBadge tone="warning" label={`${check.warningCount} warning(s)`} />}
        <span className="font-normal text-slate-500">{check.durationMs} ms</span>
      </h3>

      <h4 className="mt-3 text-sm font-medium text-slate-800">Lint</h4>
      {check.lint.parseError && (
        <p className="mt-1 text-sm text-red-800">
          <SeverityBadge severity="error" /> line {check.lint.parseError.line}:{check.lint.parseError.column} — parse error: {check.lint.parseError.message}
        </p>
      )}
      {findings.length === 0 && !check.lint.parseError ? (
        <p className="mt-1 text-sm text-slate-600">No findings under this environment&apos;s review policy.</p>
      ) : (
        <div className="mt-1 overflow-x-auto">
          <table className="w-full text-left text-sm" aria-label={`Lint findings on ${check.environmentName}`}>
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="py-1 pr-3 font-medium">Line</th>
                <th className="py-1 pr-3 font-medium">Statement</th>
                <th className="py-1 pr-3 font-medium">Severity</th>
                <th className="py-1 pr-3 font-medium">Rule</th>
                <th className="py-1 font-medium">Message</th>
              </tr>
            </thead>
            <tbody>
              {findings.map((f, i) => (
                <tr key={i} className="border-t border-slate-100 align-top">
                  <td className="py-1 pr-3 font-mono text-xs whitespace-nowrap">
                    {f.line}:{f.column}
                  </td>
                  <td className="py-1 pr-3">#{f.statementIndex + 1}</td>
                  <td className="py-1 pr-3">
                    <SeverityBadge severity={f.severity} />
                  </td>
                  <td className="py-1 pr-3">
                    <Link href={`/changes/rules#${f.code}`} className={`${linkClass} font-mono text-xs`}>
                      {f.code}
                    </Link>
                  </td>
                  <td className="py-1">{f.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h4 className="mt-4 text-sm font-medium text-slate-800">Dry run</h4>
      <p className="text-xs text-slate-500">Executed in a transaction that was rolled back, with lock_timeout and statement_timeout set: nothing persisted.</p>
      {check.dryRun.error && (
        <p role="alert" className="mt-1 text-sm text-red-800">
          {check.dryRun.error.statementIndex !== null ? `Statement ${check.dryRun.error.statementIndex + 1} (line ${check.dryRun.error.line}, column ${check.dryRun.error.column}): ` : ""}
          {check.dryRun.error.message}
        </p>
      )}
      {check.dryRun.statements.length > 0 && (
        <div className="mt-1 overflow-x-auto">
          <table className="w-full text-left text-sm" aria-label={`Dry run on ${check.environmentName}`}>
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="py-1 pr-3 font-medium">#</th>
                <th className="py-1 pr-3 font-medium">Line</th>
                <th className="py-1 pr-3 font-medium">Result</th>
                <th className="py-1 pr-3 font-medium">Command</th>
                <th className="py-1 pr-3 font-medium">Rows</th>
                <th className="py-1 pr-3 font-medium">Time</th>
                <th className="py-1 font-medium">Message</th>
              </tr>
            </thead>
            <tbody>
              {check.dryRun.statements.map((s) => (
                <tr key={s.index} className="border-t border-slate-100 align-top">
                  <td className="py-1 pr-3">{s.index + 1}</td>
                  <td className="py-1 pr-3 font-mono text-xs">
                    {s.line}:{s.column}
                  </td>
                  <td className="py-1 pr-3">
                    <StatusBadge tone={DRY[s.status]![0]} label={DRY[s.status]![1]} />
                  </td>
                  <td className="py-1 pr-3 font-mono text-xs">{s.command ?? "—"}</td>
                  <td className="py-1 pr-3">{s.rowCount ?? "—"}</td>
                  <td className="py-1 pr-3 whitespace-nowrap">{s.status === "ok" || s.status === "error" ? `${s.durationMs} ms` : "—"}</td>
                  <td className="py-1 text-slate-700">{s.message ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h4 className="mt-4 text-sm font-medium text-slate-800">Schema diff</h4>
      {!check.schemaChanged ? (
        <p className="mt-1 text-sm text-slate-600">{check.schemaDiff.length ? "The dry run leaves the schema as it is." : "No diff: the dry run did not complete."}</p>
      ) : (
        <SchemaDiff rows={check.schemaDiff} label={`Schema diff on ${check.environmentName}`} />
      )}
    </section>
  );
}

const CELL: Record<string, string> = {
  same: "text-slate-600",
  removed: "bg-red-50 text-red-900",
  added: "bg-green-50 text-green-900",
  changed: "bg-amber-50 text-amber-900",
};

/** Before and after, side by side; unchanged runs longer than a few lines are folded. */
export function SchemaDiff({ rows, label }: { rows: Check["schemaDiff"]; label: string }) {
  const keep = rows.map((r, i) => r.change !== "same" || rows.slice(Math.max(0, i - 2), i + 3).some((x) => x.change !== "same"));
  return (
    <div className="mt-1 overflow-x-auto rounded border border-slate-200">
      <table className="w-full table-fixed font-mono text-xs" aria-label={label}>
        <thead className="bg-slate-50 text-slate-600">
          <tr>
            <th className="w-1/2 px-2 py-1 text-left font-medium">Before</th>
            <th className="w-1/2 px-2 py-1 text-left font-medium">After</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) =>
            keep[i] ? (
              <tr key={i} data-change={r.change}>
                <td className={`px-2 whitespace-pre-wrap break-all ${r.left === null ? "" : r.change === "added" ? "" : CELL[r.change === "changed" ? "removed" : r.change]}`}>
                  {r.change !== "same" && r.left !== null ? <span aria-label="removed">− </span> : null}
                  {r.left ?? ""}
                </td>
                <td className={`px-2 whitespace-pre-wrap break-all ${r.right === null ? "" : CELL[r.change === "changed" ? "added" : r.change]}`}>
                  {r.change !== "same" && r.right !== null ? <span aria-label="added">+ </span> : null}
                  {r.right ?? ""}
                </td>
              </tr>
            ) : i === 0 || keep[i - 1] ? (
              <tr key={i}>
                <td colSpan={2} className="bg-slate-50 px-2 text-slate-400">
                  ⋯ unchanged lines
                </td>
              </tr>
            ) : null,
          )}
        </tbody>
      </table>
    </div>
  );
}
