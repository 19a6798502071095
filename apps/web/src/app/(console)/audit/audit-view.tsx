"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { ChevronDown, ChevronRight, FileDown, Filter, Loader2, ShieldCheck, X } from "lucide-react";
import { Fragment, useEffect, useId, useMemo, useState, type FormEvent } from "react";
import { Alert } from "@/components/alert";
import { ActionText, AuditActor, AuditObject, type AuditRow } from "@/components/audit-bits";
import { EmptyState } from "@/components/data-table";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge } from "@/components/status-badge";
import { Time } from "@/components/time";
import { btn, inputClass } from "@/components/ui";
import { useUrlState } from "@/lib/url-state";
import { useTRPC } from "@/trpc/react";

const FILTER_KEYS = ["actor", "action", "objectType", "object", "from", "to"] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type Filters = Record<FilterKey, string>;

/** `datetime-local` values are the user's local time; the server wants an instant. */
function toInstant(local: string): Date | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function apiFilter(f: Filters) {
  return {
    actor: f.actor || undefined,
    action: f.action || undefined,
    objectType: f.objectType || undefined,
    object: f.object || undefined,
    from: toInstant(f.from),
    to: toInstant(f.to),
  };
}

function csvHref(f: Filters): string {
  const qs = new URLSearchParams();
  for (const k of ["actor", "action", "objectType", "object"] as const) if (f[k]) qs.set(k, f[k]);
  const from = toInstant(f.from);
  const to = toInstant(f.to);
  if (from) qs.set("from", from.toISOString());
  if (to) qs.set("to", to.toISOString());
  const s = qs.toString();
  return s ? `/api/audit/export?${s}` : "/api/audit/export";
}

export function AuditView() {
  const { can, role } = useSession();
  if (!can("audit.list")) {
    return (
      <div>
        <PageHeader title="Console audit log" />
        <Alert tone="info">Your role ({role}) cannot read the audit log; ADMIN, DBA and AUDITOR users can.</Alert>
      </div>
    );
  }
  return <AuditLog />;
}

function AuditLog() {
  const trpc = useTRPC();
  const { can } = useSession();
  const { get, set } = useUrlState();
  const applied = useMemo(() => Object.fromEntries(FILTER_KEYS.map((k) => [k, get(k)])) as Filters, [get]);
  const [draft, setDraft] = useState<Filters>(applied);
  useEffect(() => setDraft(applied), [applied]);
  const [open, setOpen] = useState<Set<string>>(new Set());

  const facets = useQuery(trpc.audit.facets.queryOptions());
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions({ ...apiFilter(applied), limit: 50 }, { getNextPageParam: (last) => last.nextCursor ?? undefined }),
  );
  const rows = useMemo(() => events.data?.pages.flatMap((p) => p.items) ?? [], [events.data]);
  const anyFilter = FILTER_KEYS.some((k) => applied[k]);

  const apply = (next: Filters) => set(Object.fromEntries(FILTER_KEYS.map((k) => [k, next[k] || null])));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  const clear = () => apply({ actor: "", action: "", objectType: "", object: "", from: "", to: "" });
  const change = (k: FilterKey, v: string, immediately = false) => {
    const next = { ...draft, [k]: v };
    setDraft(next);
    if (immediately) apply(next);
  };
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  const ids = {
    actor: useId(),
    action: useId(),
    objectType: useId(),
    object: useId(),
    from: useId(),
    to: useId(),
  };

  return (
    <div className="space-y-4">
      <PageHeader
        title="Console audit log"
        description="Every change made through the console or the API, who made it and from where. Append-only and hash-chained."
        actions={
          <>
            {can("audit.verifyChain") && <VerifyChain />}
            <a href={csvHref(applied)} className={btn.secondary} download>
              <FileDown aria-hidden="true" className="size-4" />
              Export CSV
            </a>
          </>
        }
      />

      <form onSubmit={onSubmit} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label="Audit filters">
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-6">
          <div>
            <label htmlFor={ids.actor} className="mb-1 block text-sm font-medium text-slate-800">
              Actor
            </label>
            <input id={ids.actor} className={inputClass} value={draft.actor} onChange={(e) => change("actor", e.target.value)} placeholder="email or id" />
          </div>
          <div>
            <label htmlFor={ids.action} className="mb-1 block text-sm font-medium text-slate-800">
              Action
            </label>
            <select id={ids.action} className={inputClass} value={draft.action} onChange={(e) => change("action", e.target.value, true)}>
              <option value="">any action</option>
              {withCurrent(facets.data?.actions, draft.action).map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={ids.objectType} className="mb-1 block text-sm font-medium text-slate-800">
              Object type
            </label>
            <select id={ids.objectType} className={inputClass} value={draft.objectType} onChange={(e) => change("objectType", e.target.value, true)}>
              <option value="">any type</option>
              {withCurrent(facets.data?.objectTypes, draft.objectType).map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={ids.object} className="mb-1 block text-sm font-medium text-slate-800">
              Object
            </label>
            <input id={ids.object} className={inputClass} value={draft.object} onChange={(e) => change("object", e.target.value)} placeholder="name or id" />
          </div>
          <div>
            <label htmlFor={ids.from} className="mb-1 block text-sm font-medium text-slate-800">
              From
            </label>
            <input id={ids.from} type="datetime-local" className={inputClass} value={draft.from} onChange={(e) => change("from", e.target.value)} />
          </div>
          <div>
            <label htmlFor={ids.to} className="mb-1 block text-sm font-medium text-slate-800">
              To
            </label>
            <input id={ids.to} type="datetime-local" className={inputClass} value={draft.to} onChange={(e) => change("to", e.target.value)} />
          </div>
        </div>
        <div className="mt-3 flex flex-wrap items-center gap-2">
          <button type="submit" className={btn.primary}>
            <Filter aria-hidden="true" className="size-4" />
            Apply filters
          </button>
          {anyFilter && (
            <button type="button" className={btn.ghost} onClick={clear}>
              <X aria-hidden="true" className="size-4" />
              Clear filters
            </button>
          )}
          <p className="ml-auto text-xs text-slate-500">Times are in your time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone}); hover one for UTC.</p>
        </div>
      </form>

      {events.error ? (
        <QueryError error={events.error} what="the audit log" />
      ) : events.isLoading ? (
        <LoadingBlock label="Loading the audit log…" />
      ) : rows.length === 0 ? (
        <EmptyState
          title={anyFilter ? "No events match these filters" : "Nothing recorded yet"}
          description={anyFilter ? "Widen the time range or clear some filters." : "Changes made in the console and through the API appear here as they happen."}
          action={
            anyFilter ? (
              <button type="button" className={btn.secondary} onClick={clear}>
                Clear filters
              </button>
            ) : undefined
          }
        />
      ) : (
        <>
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Audit events, newest first">
              <thead className="bg-slate-50">
                <tr className="text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
                  <th scope="col" className="w-8 px-2 py-2">
                    <span className="sr-only">Details</span>
                  </th>
                  <th scope="col" className="px-3 py-2" aria-sort="descending">
                    Time
                  </th>
                  <th scope="col" className="px-3 py-2">Actor</th>
                  <th scope="col" className="px-3 py-2">IP</th>
                  <th scope="col" className="px-3 py-2">Action</th>
                  <th scope="col" className="px-3 py-2">Object type</th>
                  <th scope="col" className="px-3 py-2">Object</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {rows.map((r) => {
                  const expanded = open.has(r.id);
                  return (
                    <Fragment key={r.id}>
                      <tr className={`cursor-pointer hover:bg-slate-50 ${expanded ? "bg-indigo-50/40" : ""}`} onClick={() => toggle(r.id)}>
                        <td className="px-2 py-2 align-top">
                          <button
                            type="button"
                            className="rounded p-0.5 text-slate-500 hover:bg-slate-200"
                            aria-expanded={expanded}
                            aria-controls={`audit-${r.id}`}
                            onClick={(e) => {
                              e.stopPropagation();
                              toggle(r.id);
                            }}
                          >
                            {expanded ? <ChevronDown aria-hidden="true" className="size-4" /> : <ChevronRight aria-hidden="true" className="size-4" />}
                            <span className="sr-only">
                              {expanded ? "Hide" : "Show"} details of event {r.id}
                            </span>
                          </button>
                        </td>
                        <td className="px-3 py-2 align-top">
                          <Time value={r.createdAt} precise />
                        </td>
                        <td className="px-3 py-2 align-top">
                          <AuditActor row={r} />
                        </td>
                        <td className="px-3 py-2 align-top font-mono text-xs">{r.ip ?? <span className="text-slate-400">—</span>}</td>
                        <td className="px-3 py-2 align-top">
                          <ActionText action={r.action} />
                        </td>
                        <td className="px-3 py-2 align-top text-slate-700">{r.objectType}</td>
                        <td className="px-3 py-2 align-top">
                          <AuditObject row={r} />
                        </td>
                      </tr>
                      {expanded && (
                        <tr id={`audit-${r.id}`} className="bg-slate-50">
                          <td colSpan={7} className="px-3 py-3">
                            <EventDetails row={r} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
          <div className="flex items-center gap-3">
            {events.hasNextPage ? (
              <button type="button" className={btn.secondary} onClick={() => events.fetchNextPage()} disabled={events.isFetchingNextPage}>
                {events.isFetchingNextPage && <Loader2 aria-hidden="true" className="size-4 animate-spin" />}
                Load more
              </button>
            ) : (
              <p className="text-sm text-slate-500">End of the log for these filters.</p>
            )}
            <p className="text-sm text-slate-600">{rows.length} events shown</p>
          </div>
        </>
      )}
    </div>
  );
}

function withCurrent(list: string[] | undefined, current: string): string[] {
  const all = new Set(list ?? []);
  if (current) all.add(current);
  return [...all].sort();
}

function Json({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <p className="text-sm text-slate-400 italic">nothing</p>;
  return (
    <pre className="max-h-80 overflow-auto rounded-md border border-slate-200 bg-white p-2 font-mono text-xs leading-relaxed text-slate-800">
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

function EventDetails({ row }: { row: AuditRow }) {
  return (
    <div className="space-y-3">
      <dl className="grid grid-cols-1 gap-x-6 gap-y-1 text-xs text-slate-600 sm:grid-cols-3">
        <div>
          <dt className="inline font-semibold">Event </dt>
          <dd className="inline font-mono">{row.id}</dd>
        </div>
        <div>
          <dt className="inline font-semibold">Actor id </dt>
          <dd className="inline font-mono">{row.actorId ?? "—"}</dd>
        </div>
        <div className="min-w-0">
          <dt className="inline font-semibold">Hash </dt>
          <dd className="inline font-mono break-all">{row.hash}</dd>
        </div>
      </dl>
      <div className="grid grid-cols-1 gap-3 md:grid-cols-2">
        <div>
          <h3 className="mb-1 text-xs font-semibold tracking-wide text-slate-600 uppercase">Before</h3>
          <Json value={row.before} />
        </div>
        <div>
          <h3 className="mb-1 text-xs font-semibold tracking-wide text-slate-600 uppercase">After</h3>
          <Json value={row.after} />
        </div>
      </div>
    </div>
  );
}

function VerifyChain() {
  const trpc = useTRPC();
  const verify = useQuery(trpc.audit.verifyChain.queryOptions(undefined, { enabled: false, staleTime: 0, gcTime: 0 }));
  return (
    <div className="flex flex-wrap items-center gap-2">
      <button type="button" className={btn.secondary} onClick={() => verify.refetch()} disabled={verify.isFetching}>
        {verify.isFetching ? <Loader2 aria-hidden="true" className="size-4 animate-spin" /> : <ShieldCheck aria-hidden="true" className="size-4" />}
        Verify chain
      </button>
      <span aria-live="polite">
        {verify.error ? (
          <StatusBadge tone="danger" label="verification failed" />
        ) : verify.data && !verify.isFetching ? (
          verify.data.intact ? (
            <StatusBadge tone="success" label={`intact · ${verify.data.checked} events`} ariaLabel={`chain intact, ${verify.data.checked} events checked`} />
          ) : (
            <StatusBadge tone="danger" label={`broken · ${verify.data.problems.length} problems`} ariaLabel="chain broken" />
          )
        ) : null}
      </span>
      {verify.data && !verify.data.intact && (
        <Alert tone="error" title="The audit chain is broken" className="w-full">
          <ul className="list-disc pl-4">
            {verify.data.problems.slice(0, 10).map((p) => (
              <li key={p.id}>
                event {p.id}: {p.problem}
              </li>
            ))}
          </ul>
        </Alert>
      )}
    </div>
  );
}
