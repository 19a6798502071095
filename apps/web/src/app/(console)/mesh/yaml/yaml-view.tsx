"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Download, Eye, Loader2, Upload } from "lucide-react";
import { useId, useState, type ChangeEvent } from "react";
import { Alert } from "@/components/alert";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { Chips, OpBadge } from "@/components/status-badge";
import { useToast } from "@/components/toast";
import { btn, inputClass } from "@/components/ui";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Preview = RouterOutputs["mesh"]["previewImport"];
type Summary = Preview["summary"];

const KIND_LABEL: Record<string, string> = {
  Environment: "Environment",
  DatabaseEndpoint: "Endpoint",
  TrafficStrategy: "Traffic strategy",
  VirtualDatabase: "Virtual database",
  AccessRule: "Access rule",
};

export function summaryLine(s: Summary): string {
  return `${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.unchanged} unchanged`;
}

function appliedLine(s: Summary): string {
  return `${s.create} created, ${s.update} updated, ${s.delete} deleted, ${s.unchanged} unchanged`;
}

export function YamlView() {
  const { can, role } = useSession();
  return (
    <div className="space-y-5">
      <PageHeader
        title="Mesh YAML"
        description="The whole mesh as Database Mesh resources (core.database-mesh.io/v1alpha1): export it to review or commit, import it to change many objects in one step."
      />
      <ExportPanel />
      {can("mesh.previewImport") ? (
        <ImportPanel />
      ) : (
        <Section title="Import">
          <Alert tone="info">Your role ({role}) can export the mesh but not import changes; an ADMIN or DBA can.</Alert>
        </Section>
      )}
    </div>
  );
}

function ExportPanel() {
  const trpc = useTRPC();
  const exported = useQuery(trpc.mesh.exportYaml.queryOptions());
  const preId = useId();
  const download = () => {
    if (!exported.data) return;
    const url = URL.createObjectURL(new Blob([exported.data.yaml], { type: "application/yaml" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `dbmesh-mesh-rev${exported.data.revision}.yaml`;
    document.body.append(a);
    a.click();
    a.remove();
    URL.revokeObjectURL(url);
  };
  return (
    <Section
      title="Export"
      description={exported.data ? `Revision ${exported.data.revision}. Passwords are never exported.` : "Passwords are never exported."}
      actions={
        <button type="button" className={btn.secondary} onClick={download} disabled={!exported.data}>
          <Download aria-hidden="true" className="size-4" />
          Download
        </button>
      }
    >
      {exported.error ? (
        <QueryError error={exported.error} what="the mesh export" />
      ) : !exported.data ? (
        <LoadingBlock />
      ) : (
        <>
          <p id={preId} className="sr-only">
            Exported mesh YAML
          </p>
          <pre
            aria-labelledby={preId}
            tabIndex={0}
            className="max-h-96 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs leading-relaxed text-slate-100"
          >
            {exported.data.yaml}
          </pre>
        </>
      )}
    </Section>
  );
}

function ImportPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const textId = useId();
  const fileId = useId();
  const pruneId = useId();
  const [text, setText] = useState("");
  const [prune, setPrune] = useState(false);
  const [preview, setPreview] = useState<{ text: string; prune: boolean; result: Preview } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [applied, setApplied] = useState<Summary | null>(null);
  const previewImport = useMutation(trpc.mesh.previewImport.mutationOptions());
  const applyImport = useMutation(trpc.mesh.applyImport.mutationOptions());

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    setText(await file.text());
    setPreview(null);
    setApplied(null);
    e.target.value = "";
  };

  const runPreview = async () => {
    setError(null);
    setApplied(null);
    setPreview(null);
    try {
      const result = await previewImport.mutateAsync({ yaml: text, prune });
      setPreview({ text, prune, result });
    } catch (err) {
      setError(errorInfo(err).message);
    }
  };

  const current = preview && preview.text === text && preview.prune === prune ? preview : null;
  const changes = current ? current.result.summary.create + current.result.summary.update + current.result.summary.delete : 0;
  const canApply = !!current?.result.ok && changes > 0 && !applyImport.isPending;

  const runApply = async () => {
    if (!current) return;
    setError(null);
    try {
      const res = await applyImport.mutateAsync({ yaml: current.text, prune: current.prune, baseRevision: current.result.baseRevision });
      setApplied(res.summary);
      setPreview(null);
      toast(`Mesh imported: ${appliedLine(res.summary)}.`);
      await queryClient.invalidateQueries();
    } catch (err) {
      setError(errorInfo(err).message);
    }
  };

  return (
    <Section title="Import" description="Preview what a YAML file would change, then apply it in one transaction (one new mesh revision).">
      <div className="space-y-4">
        <div>
          <label htmlFor={textId} className="mb-1 block text-sm font-medium text-slate-800">
            YAML to import
          </label>
          <textarea
            id={textId}
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={14}
            spellCheck={false}
            placeholder={"apiVersion: core.database-mesh.io/v1alpha1\nkind: VirtualDatabase\nmetadata:\n  name: orders\nspec: …"}
            className={`${inputClass} font-mono text-xs`}
          />
        </div>
        <div className="flex flex-wrap items-end gap-x-6 gap-y-3">
          <div>
            <label htmlFor={fileId} className="mb-1 flex items-center gap-1 text-sm font-medium text-slate-800">
              <Upload aria-hidden="true" className="size-4" />
              Load from file
            </label>
            <input
              id={fileId}
              type="file"
              accept=".yaml,.yml,application/yaml,text/yaml,text/plain"
              onChange={onFile}
              className="block text-sm text-slate-700 file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium file:text-slate-800 hover:file:bg-slate-50"
            />
          </div>
          <div className="flex items-center gap-2 pb-1">
            <input
              id={pruneId}
              type="checkbox"
              checked={prune}
              onChange={(e) => setPrune(e.target.checked)}
              className="size-4 rounded border-slate-300 accent-indigo-600"
            />
            <label htmlFor={pruneId} className="text-sm font-medium text-slate-800">
              Prune (delete objects not in the file)
            </label>
          </div>
        </div>

        <div className="flex flex-wrap items-center gap-2">
          <button type="button" className={btn.secondary} onClick={runPreview} disabled={!text.trim() || previewImport.isPending}>
            {previewImport.isPending ? <Loader2 aria-hidden="true" className="size-4 animate-spin" /> : <Eye aria-hidden="true" className="size-4" />}
            Preview
          </button>
          <button type="button" className={btn.primary} onClick={runApply} disabled={!canApply}>
            {applyImport.isPending && <Loader2 aria-hidden="true" className="size-4 animate-spin" />}
            Apply
          </button>
          <p className="text-sm text-slate-600">
            {!current
              ? preview
                ? "The text or the prune setting changed since the preview: preview again."
                : "Apply is enabled after a successful preview of this exact text."
              : !current.result.ok
                ? "Fix the errors below and preview again."
                : changes === 0
                  ? "Nothing to apply: the mesh already matches this file."
                  : `Applies on top of revision ${current.result.baseRevision}.`}
          </p>
        </div>

        {error && <Alert tone="error">{error}</Alert>}
        {applied && (
          <Alert tone="success" title="Imported">
            {appliedLine(applied)}.
          </Alert>
        )}
        {preview && <PreviewResult result={preview.result} stale={!current} />}
      </div>
    </Section>
  );
}

function PreviewResult({ result, stale }: { result: Preview; stale: boolean }) {
  if (!result.ok) {
    return (
      <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-3">
        <h3 className="text-sm font-semibold text-red-900">
          The file is not valid ({result.errors.length} {result.errors.length === 1 ? "problem" : "problems"})
        </h3>
        <ul className="mt-2 space-y-1 text-sm text-red-900">
          {result.errors.map((e, i) => (
            <li key={i} className="flex flex-wrap gap-x-2">
              <code className="font-mono text-xs font-semibold">{e.path || "(file)"}</code>
              {"line" in e && typeof e.line === "number" && <span className="text-xs text-red-700">line {e.line}</span>}
              <span>{e.message}</span>
            </li>
          ))}
        </ul>
      </div>
    );
  }
  return (
    <div className={stale ? "opacity-60" : undefined}>
      <p className="mb-2 text-sm font-medium text-slate-900" role="status">
        {summaryLine(result.summary)}
      </p>
      {result.changes.length === 0 ? (
        <p className="text-sm text-slate-600">The file holds no objects.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200">
          <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Import preview">
            <thead className="bg-slate-50">
              <tr className="text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
                <th scope="col" className="px-3 py-2">Kind</th>
                <th scope="col" className="px-3 py-2">Name</th>
                <th scope="col" className="px-3 py-2">Op</th>
                <th scope="col" className="px-3 py-2">Changed fields</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {result.changes.map((c) => (
                <tr key={`${c.kind}/${c.name}`} className={c.op === "unchanged" ? "text-slate-500" : undefined}>
                  <td className="px-3 py-2 whitespace-nowrap">{KIND_LABEL[c.kind] ?? c.kind}</td>
                  <td className="px-3 py-2 font-medium">{c.name}</td>
                  <td className="px-3 py-2">
                    <OpBadge op={c.op} />
                  </td>
                  <td className="px-3 py-2">{c.op === "update" ? <Chips items={c.fields} /> : <span className="text-slate-400">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
