"use client";

import { useQuery } from "@tanstack/react-query";
import { FlaskConical } from "lucide-react";
import { useId, useState } from "react";
import { Alert } from "@/components/alert";
import { Chips, StatusBadge } from "@/components/status-badge";
import { btn, cardClass, inputClass } from "@/components/ui";
import { useTRPC } from "@/trpc/react";

/**
 * "Try a statement": the decision the agent would take for a credential, from the same parser and
 * the same rule evaluation (accessRule.tryStatement), before anything runs on a database.
 */
export function TryStatement({ defaultVirtualDatabase }: { defaultVirtualDatabase?: string }) {
  const trpc = useTRPC();
  const ids = { vdb: useId(), cred: useId(), sql: useId() };
  const vdbs = useQuery(trpc.virtualDatabase.list.queryOptions());
  const creds = useQuery(trpc.credential.list.queryOptions());
  const [form, setForm] = useState({ virtualDatabase: defaultVirtualDatabase ?? "", credential: "", sql: "" });
  const [asked, setAsked] = useState<typeof form | null>(null);
  const virtualDatabase = form.virtualDatabase || vdbs.data?.[0]?.name || "";
  const result = useQuery({
    ...trpc.accessRule.tryStatement.queryOptions(asked ?? { virtualDatabase: "", credential: "", sql: "" }),
    enabled: asked !== null,
    retry: false,
  });
  const canAsk = virtualDatabase !== "" && form.credential.trim() !== "" && form.sql.trim() !== "";

  return (
    <section className={`${cardClass} mb-6 p-4`} aria-labelledby={`${ids.sql}-title`}>
      <h2 id={`${ids.sql}-title`} className="mb-1 flex items-center gap-2 text-base font-semibold text-slate-900">
        <FlaskConical className="h-4 w-4" aria-hidden /> Try a statement
      </h2>
      <p className="mb-3 text-sm text-slate-600">
        See what the agent would decide, with the rule and the tables it found. Nothing runs on a database.
      </p>
      <form
        className="grid gap-3 md:grid-cols-[12rem_12rem_1fr_auto] md:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          if (canAsk) setAsked({ ...form, virtualDatabase });
        }}
      >
        <div>
          <label htmlFor={ids.vdb} className="mb-1 block text-sm font-medium text-slate-800">
            Virtual database
          </label>
          <select id={ids.vdb} className={inputClass} value={virtualDatabase} onChange={(e) => setForm({ ...form, virtualDatabase: e.target.value })}>
            {(vdbs.data ?? []).map((v) => (
              <option key={v.id} value={v.name}>
                {v.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.cred} className="mb-1 block text-sm font-medium text-slate-800">
            Credential
          </label>
          <input
            id={ids.cred}
            className={inputClass}
            list={`${ids.cred}-list`}
            placeholder="demo_app"
            value={form.credential}
            onChange={(e) => setForm({ ...form, credential: e.target.value })}
          />
          <datalist id={`${ids.cred}-list`}>
            {(creds.data ?? []).map((c) => (
              <option key={c.id} value={c.name} />
            ))}
          </datalist>
        </div>
        <div>
          <label htmlFor={ids.sql} className="mb-1 block text-sm font-medium text-slate-800">
            Statement
          </label>
          <textarea
            id={ids.sql}
            rows={2}
            className={`${inputClass} font-mono`}
            placeholder="DELETE FROM audit.login_history"
            value={form.sql}
            onChange={(e) => setForm({ ...form, sql: e.target.value })}
          />
        </div>
        <button type="submit" className={btn.secondary} disabled={!canAsk}>
          Check
        </button>
      </form>
      {result.error && (
        <Alert tone="error" className="mt-3">
          {result.error.message}
        </Alert>
      )}
      {result.data && (
        <div className="mt-3 space-y-2 text-sm" aria-live="polite">
          <div className="flex flex-wrap items-center gap-2">
            {result.data.decision.allowed ? (
              <StatusBadge tone="success" label="allowed" />
            ) : (
              <StatusBadge tone="danger" label="denied" />
            )}
            <span className="text-slate-800">{result.data.decision.reason}</span>
          </div>
          {result.data.circuitBreak && (
            <div className="flex flex-wrap items-center gap-2">
              <StatusBadge tone="danger" label="circuit break" />
              <span className="text-slate-800">
                The agent refuses this text before any access rule: statement {result.data.circuitBreak.statement + 1} hits circuit break &quot;
                {result.data.circuitBreak.rule}&quot; of the virtual database&apos;s traffic strategy.
              </span>
            </div>
          )}
          <div className="flex flex-wrap items-center gap-2 text-slate-600">
            <span>
              {result.data.analysis.kind}
              {result.data.analysis.statements > 1 ? ` · ${result.data.analysis.statements} statements` : ""}
              {result.data.analysis.readOnly ? " · read-only" : ""}
            </span>
            <Chips
              items={result.data.decision.tables.map((t) => `${t.schema}.${t.name}:${t.operation} ${t.allowed ? "✓" : "✗"}${t.rule ? ` (${t.rule})` : ""}`)}
              empty="no tables"
            />
          </div>
          <p className="text-xs text-slate-500">
            Tables no rule covers are {result.data.defaultEffect === "ALLOW" ? "allowed (the virtual database's default)" : "denied (the virtual database's default)"}.
          </p>
        </div>
      )}
    </section>
  );
}
