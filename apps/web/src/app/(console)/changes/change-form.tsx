"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { Upload } from "lucide-react";
import { useRouter } from "next/navigation";
import { useId, useState, type ReactNode } from "react";
import { z } from "zod";
import { Alert } from "@/components/alert";
import { FieldError } from "@/components/form-fields";
import { FormSection } from "@/components/form-layout";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { readSqlFile, SqlEditor } from "@/components/sql-editor";
import { useToast } from "@/components/toast";
import { btn, inputClass } from "@/components/ui";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";

// Mirrors changeRequest.create's input (packages/api/src/services/schema-change/change-requests.ts).
const Draft = z
  .object({
    title: z.string().trim().min(3, "at least 3 characters").max(200, "at most 200 characters"),
    description: z.string().max(20_000),
    targetKind: z.enum(["virtualDatabase", "endpoints"]),
    virtualDatabase: z.string(),
    endpoints: z.array(z.string()),
    sql: z.string().refine((s) => s.trim().length > 0, "write at least one SQL statement"),
    rollbackSql: z.string(),
  })
  .superRefine((d, ctx) => {
    if (d.targetKind === "virtualDatabase" && !d.virtualDatabase) ctx.addIssue({ code: "custom", path: ["target"], message: "choose a virtual database" });
    if (d.targetKind === "endpoints" && d.endpoints.length === 0) ctx.addIssue({ code: "custom", path: ["target"], message: "choose at least one endpoint" });
  });
type Draft = z.infer<typeof Draft>;

function Field({ label, id, error, hint, children }: { label: string; id: string; error?: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      <div className="mt-1">{children}</div>
      {hint && <p className="mt-1 text-xs text-slate-500">{hint}</p>}
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

/** Uploading a .sql file fills the editor (and keeps it editable). */
export function SqlUpload({ onLoad, label }: { onLoad: (text: string) => void; label: string }) {
  const id = useId();
  const [error, setError] = useState<string | null>(null);
  return (
    <span>
      <label htmlFor={id} className={`${btn.small} cursor-pointer`}>
        <Upload aria-hidden="true" className="size-3.5" />
        {label}
      </label>
      <input
        id={id}
        type="file"
        accept=".sql,text/plain,application/sql"
        className="sr-only"
        onChange={async (e) => {
          const file = e.target.files?.[0];
          if (!file) return;
          try {
            onLoad(await readSqlFile(file));
            setError(null);
          } catch (err) {
            setError((err as Error).message);
          }
          e.target.value = "";
        }}
      />
      {error && <span className="ml-2 text-sm text-red-700">{error}</span>}
    </span>
  );
}

export function ChangeForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const { can } = useSession();
  const ids = { title: useId(), description: useId(), target: useId(), sql: useId(), rollback: useId() };
  const vdbs = useQuery(trpc.virtualDatabase.list.queryOptions());
  const endpoints = useQuery(trpc.endpoint.list.queryOptions());
  const [draft, setDraft] = useState<Draft>({ title: "", description: "", targetKind: "virtualDatabase", virtualDatabase: "", endpoints: [], sql: "", rollbackSql: "" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const target = draft.targetKind === "virtualDatabase" ? { kind: "virtualDatabase" as const, virtualDatabase: draft.virtualDatabase } : { kind: "endpoints" as const, endpoints: draft.endpoints };
  const targetReady = draft.targetKind === "virtualDatabase" ? !!draft.virtualDatabase : draft.endpoints.length > 0;
  const preview = useQuery({ ...trpc.changeRequest.previewTargets.queryOptions({ target }), enabled: targetReady });
  const create = useMutation(trpc.changeRequest.create.mutationOptions());
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setDraft((d) => ({ ...d, [k]: v }));
    if (Object.keys(errors).length) {
      const parsed = Draft.safeParse({ ...draft, [k]: v });
      setErrors(parsed.success ? {} : Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])));
    }
  };

  if (!can("changeRequest.create")) {
    return (
      <div>
        <PageHeader title="New change request" back={{ href: "/changes", label: "Change requests" }} />
        <Alert tone="info">Your role may read change requests but not submit them.</Alert>
      </div>
    );
  }

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setFormError(null);
    const parsed = Draft.safeParse(draft);
    if (!parsed.success) {
      setErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])));
      return;
    }
    try {
      const res = await create.mutateAsync({ title: draft.title, description: draft.description, target, sql: draft.sql, rollbackSql: draft.rollbackSql || null });
      toast("Change request submitted: checks are running.");
      router.push(`/changes/${res.id}`);
    } catch (err) {
      const info = errorInfo(err);
      setErrors(info.fieldErrors);
      setFormError(info.message);
    }
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-5">
      <PageHeader
        title="New change request"
        back={{ href: "/changes", label: "Change requests" }}
        description="Write the SQL (or upload a file). When you submit, the worker lints it under each environment's review policy and dry-runs it on every target in a transaction that is rolled back."
      />
      {formError && <Alert tone="error" title="Not submitted">{formError}</Alert>}
      <FormSection title="What and where">
        <div className="space-y-4">
          <Field label="Title" id={ids.title} error={errors.title}>
            <input id={ids.title} className={inputClass} value={draft.title} aria-invalid={!!errors.title} onChange={(e) => set("title", e.target.value)} />
          </Field>
          <Field label="Description" id={ids.description} error={errors.description} hint="Why the change, and anything reviewers should know.">
            <textarea id={ids.description} rows={3} className={inputClass} value={draft.description} onChange={(e) => set("description", e.target.value)} />
          </Field>
          <fieldset>
            <legend className="block text-sm font-medium text-slate-800">Target</legend>
            <div className="mt-1 flex flex-wrap gap-4 text-sm">
              <label className="flex items-center gap-2">
                <input type="radio" name="targetKind" checked={draft.targetKind === "virtualDatabase"} onChange={() => set("targetKind", "virtualDatabase")} />
                A virtual database (through its environments)
              </label>
              <label className="flex items-center gap-2">
                <input type="radio" name="targetKind" checked={draft.targetKind === "endpoints"} onChange={() => set("targetKind", "endpoints")} />
                Chosen endpoints
              </label>
            </div>
            <div className="mt-2">
              {draft.targetKind === "virtualDatabase" ? (
                <select id={ids.target} aria-label="Virtual database" className={inputClass} value={draft.virtualDatabase} aria-invalid={!!errors.target} onChange={(e) => set("virtualDatabase", e.target.value)}>
                  <option value="">Choose…</option>
                  {vdbs.data?.map((v) => (
                    <option key={v.id} value={v.name}>
                      {v.name} ({v.environment})
                    </option>
                  ))}
                </select>
              ) : (
                <div className="grid gap-1 sm:grid-cols-2" role="group" aria-label="Endpoints">
                  {endpoints.data
                    ?.filter((e) => e.protocol === "POSTGRESQL")
                    .map((e) => (
                      <label key={e.id} className="flex items-center gap-2 text-sm">
                        <input
                          type="checkbox"
                          checked={draft.endpoints.includes(e.name)}
                          onChange={(ev) => set("endpoints", ev.target.checked ? [...draft.endpoints, e.name] : draft.endpoints.filter((n) => n !== e.name))}
                        />
                        {e.name} <span className="text-slate-500">({e.environment}, {e.role.toLowerCase()})</span>
                      </label>
                    ))}
                </div>
              )}
              <FieldError id={`${ids.target}-error`} message={errors.target} />
            </div>
            {targetReady && preview.data && (
              <p className="mt-2 text-sm text-slate-600" aria-live="polite">
                {preview.data.length === 0
                  ? "No primary PostgreSQL endpoint found for this target."
                  : `Rollout order: ${preview.data.map((t) => `${t.environmentName} (${t.endpointName})`).join(" → ")}`}
              </p>
            )}
          </fieldset>
        </div>
      </FormSection>
      <FormSection title="SQL" description="One or more statements, separated by semicolons. CREATE INDEX CONCURRENTLY and other statements that cannot run in a transaction run on their own.">
        <div className="space-y-4">
          <div>
            <div className="mb-1 flex items-center justify-between gap-2">
              <span id={`${ids.sql}-label`} className="text-sm font-medium text-slate-800">
                Statements
              </span>
              <SqlUpload label="Upload .sql" onLoad={(t) => set("sql", t)} />
            </div>
            <SqlEditor label="SQL statements" value={draft.sql} onChange={(v) => set("sql", v)} invalid={!!errors.sql} minHeight="14rem" />
            <FieldError id={`${ids.sql}-error`} message={errors.sql} />
          </div>
          <div>
            <div className="mb-1 flex items-center justify-between gap-2">
              <span className="text-sm font-medium text-slate-800">Rollback SQL (optional)</span>
              <SqlUpload label="Upload rollback .sql" onLoad={(t) => set("rollbackSql", t)} />
            </div>
            <SqlEditor label="Rollback SQL" value={draft.rollbackSql} onChange={(v) => set("rollbackSql", v)} minHeight="6rem" />
          </div>
        </div>
      </FormSection>
      <div className="flex justify-end gap-2">
        <button type="button" className={btn.secondary} onClick={() => router.push("/changes")}>
          Cancel
        </button>
        <button type="submit" className={btn.primary} disabled={create.isPending}>
          {create.isPending ? "Submitting…" : "Submit for review"}
        </button>
      </div>
    </form>
  );
}
