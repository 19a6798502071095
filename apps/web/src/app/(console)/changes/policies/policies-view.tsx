"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { Alert } from "@/components/alert";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { useToast } from "@/components/toast";
import { btn, inputClass, linkClass } from "@/components/ui";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Policy = RouterOutputs["sqlReview"]["policies"][number];
type Rule = RouterOutputs["sqlReview"]["rules"][number];
type Severity = "error" | "warning" | "info";

export function PoliciesView() {
  const trpc = useTRPC();
  const policies = useQuery(trpc.sqlReview.policies.queryOptions());
  const rules = useQuery(trpc.sqlReview.rules.queryOptions());
  if (policies.isLoading || rules.isLoading) return <LoadingBlock label="Loading the review policies…" />;
  if (policies.error || rules.error || !policies.data || !rules.data) return <QueryError error={policies.error ?? rules.error} what="the review policies" />;
  return (
    <div className="space-y-5">
      <PageHeader
        title="SQL review policy"
        back={{ href: "/changes", label: "Change requests" }}
        description="Per environment: where it comes in the rollout order, how many DBA approvals a change needs there, and which lint rules apply with which severity. Errors block approval; warnings need an acknowledged reason."
      />
      {policies.data.length === 0 && <Alert tone="info">No environments yet: create them under Settings → Environments.</Alert>}
      {policies.data.map((p) => (
        <PolicyEditor key={p.environmentId} policy={p} rules={rules.data} />
      ))}
    </div>
  );
}

function PolicyEditor({ policy, rules }: { policy: Policy; rules: readonly Rule[] }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const { can } = useSession();
  const editable = can("sqlReview.updatePolicy");
  const stageId = useId();
  const approvalsId = useId();
  const [stage, setStage] = useState(String(policy.stage));
  const [approvals, setApprovals] = useState(String(policy.approvalsRequired));
  const [chosen, setChosen] = useState(policy.rules);
  const [error, setError] = useState<string | null>(null);
  const save = useMutation(trpc.sqlReview.updatePolicy.mutationOptions());
  const stageErr = !/^\d{1,4}$/.test(stage) || Number(stage) > 1000 ? "a whole number from 0 to 1000" : null;
  const approvalsErr = !/^\d{1,2}$/.test(approvals) || Number(approvals) > 10 ? "a whole number from 0 to 10" : null;
  return (
    <Section title={`${policy.environmentName}${policy.production ? " (production)" : ""}`} description={policy.customized ? undefined : "Defaults: no policy saved for this environment yet."}>
      {error && <Alert tone="error" className="mb-3">{error}</Alert>}
      <div className="mb-4 flex flex-wrap gap-4">
        <div>
          <label htmlFor={stageId} className="block text-sm font-medium text-slate-800">
            Rollout stage
          </label>
          <input id={stageId} inputMode="numeric" className={`${inputClass} mt-1 w-28`} value={stage} disabled={!editable} aria-invalid={!!stageErr} onChange={(e) => setStage(e.target.value)} />
          {stageErr ? <p className="mt-1 text-sm text-red-700">{stageErr}</p> : <p className="mt-1 text-xs text-slate-500">Lower stages deploy first.</p>}
        </div>
        <div>
          <label htmlFor={approvalsId} className="block text-sm font-medium text-slate-800">
            Approvals required
          </label>
          <input id={approvalsId} inputMode="numeric" className={`${inputClass} mt-1 w-28`} value={approvals} disabled={!editable} aria-invalid={!!approvalsErr} onChange={(e) => setApprovals(e.target.value)} />
          {approvalsErr && <p className="mt-1 text-sm text-red-700">{approvalsErr}</p>}
        </div>
      </div>
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm" aria-label={`Lint rules for ${policy.environmentName}`}>
          <thead className="text-xs text-slate-500">
            <tr>
              <th className="py-1 pr-3 font-medium">Rule</th>
              <th className="py-1 pr-3 font-medium">On</th>
              <th className="py-1 font-medium">Severity</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => {
              const v = chosen[r.code] ?? { enabled: true, severity: r.defaultSeverity };
              return (
                <tr key={r.code} className="border-t border-slate-100">
                  <td className="py-1 pr-3">
                    <Link href={`/changes/rules#${r.code}`} className={`${linkClass} font-mono text-xs`}>
                      {r.code}
                    </Link>{" "}
                    {r.title}
                  </td>
                  <td className="py-1 pr-3">
                    <input
                      type="checkbox"
                      aria-label={`${r.code} enabled in ${policy.environmentName}`}
                      checked={v.enabled}
                      disabled={!editable}
                      onChange={(e) => setChosen({ ...chosen, [r.code]: { ...v, enabled: e.target.checked } })}
                    />
                  </td>
                  <td className="py-1">
                    <select
                      aria-label={`${r.code} severity in ${policy.environmentName}`}
                      className={`${inputClass} w-auto py-1`}
                      value={v.severity}
                      disabled={!editable || !v.enabled}
                      onChange={(e) => setChosen({ ...chosen, [r.code]: { ...v, severity: e.target.value as Severity } })}
                    >
                      <option value="error">error</option>
                      <option value="warning">warning</option>
                      <option value="info">info</option>
                    </select>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {editable ? (
        <div className="mt-3 flex justify-end">
          <button
            type="button"
            className={btn.primary}
            disabled={save.isPending || !!stageErr || !!approvalsErr}
            onClick={async () => {
              setError(null);
              try {
                await save.mutateAsync({ environmentId: policy.environmentId, stage: Number(stage), approvalsRequired: Number(approvals), rules: chosen });
                await qc.invalidateQueries(trpc.sqlReview.policies.pathFilter());
                toast(`Policy of ${policy.environmentName} saved.`);
              } catch (err) {
                setError(errorInfo(err).message);
              }
            }}
          >
            Save {policy.environmentName}
          </button>
        </div>
      ) : (
        <p className="mt-3 text-sm text-slate-500">Read-only: DBAs and admins edit review policies.</p>
      )}
    </Section>
  );
}
