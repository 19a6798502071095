"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Loader2, ShieldCheck } from "lucide-react";
import { useMemo } from "react";
import { Alert } from "@/components/alert";
import { ActionText, AuditActor, AuditObject, type AuditRow } from "@/components/audit-bits";
import { EmptyState, type Columns } from "@/components/data-table";
import { LoadingBlock, QueryError } from "@/components/loading";
import { ExpandableTable, ExportCsvLink, FilterField, FilterForm, LoadMore, RoleCannotRead } from "@/components/log-view";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge } from "@/components/status-badge";
import { Time } from "@/components/time";
import { btn, inputClass } from "@/components/ui";
import { queryString, toInstant, useUrlFilters, withCurrent } from "@/lib/url-filters";
import { useTRPC } from "@/trpc/react";

const FILTER_KEYS = ["actor", "action", "objectType", "object", "from", "to"] as const;
type Filters = Record<(typeof FILTER_KEYS)[number], string>;

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

const COLUMNS: Columns<AuditRow> = [
  { id: "time", header: "Time", meta: { sorted: "descending" }, cell: ({ row }) => <Time value={row.original.createdAt} precise /> },
  { id: "actor", header: "Actor", cell: ({ row }) => <AuditActor row={row.original} /> },
  {
    id: "ip",
    header: "IP",
    meta: { className: "font-mono text-xs" },
    cell: ({ row }) => row.original.ip ?? <span className="text-slate-400">—</span>,
  },
  { id: "action", header: "Action", cell: ({ row }) => <ActionText action={row.original.action} /> },
  { id: "objectType", header: "Object type", meta: { className: "text-slate-700" }, cell: ({ row }) => row.original.objectType },
  { id: "object", header: "Object", cell: ({ row }) => <AuditObject row={row.original} /> },
];

export function AuditView() {
  const { can, role } = useSession();
  if (!can("audit.list")) return <RoleCannotRead title="Console audit log" what="the audit log" procedure="audit.list" role={role} />;
  return <AuditLog />;
}

function AuditLog() {
  const trpc = useTRPC();
  const { can } = useSession();
  const { applied, draft, change, submit, clear } = useUrlFilters(FILTER_KEYS);
  const filter = apiFilter(applied);

  const facets = useQuery(trpc.audit.facets.queryOptions());
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions({ ...filter, limit: 50 }, { getNextPageParam: (last) => last.nextCursor ?? undefined }),
  );
  const rows = useMemo(() => events.data?.pages.flatMap((p) => p.items) ?? [], [events.data]);
  const anyFilter = FILTER_KEYS.some((k) => applied[k]);

  return (
    <div className="space-y-4">
      <PageHeader
        title="Console audit log"
        description="Every change made through the console or the API, who made it and from where. Append-only and hash-chained."
        actions={
          <>
            {can("audit.verifyChain") && <VerifyChain />}
            <ExportCsvLink href={`/api/audit/export${queryString(filter)}`} />
          </>
        }
      />

      <FilterForm label="Audit filters" onSubmit={submit} onClear={clear} canClear={anyFilter}>
        <FilterField label="Actor">
          {(id) => <input id={id} className={inputClass} value={draft.actor} onChange={(e) => change("actor", e.target.value)} placeholder="email or id" />}
        </FilterField>
        <FilterField label="Action">
          {(id) => (
            <select id={id} className={inputClass} value={draft.action} onChange={(e) => change("action", e.target.value, true)}>
              <option value="">any action</option>
              {withCurrent(facets.data?.actions, draft.action).map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          )}
        </FilterField>
        <FilterField label="Object type">
          {(id) => (
            <select id={id} className={inputClass} value={draft.objectType} onChange={(e) => change("objectType", e.target.value, true)}>
              <option value="">any type</option>
              {withCurrent(facets.data?.objectTypes, draft.objectType).map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          )}
        </FilterField>
        <FilterField label="Object">
          {(id) => <input id={id} className={inputClass} value={draft.object} onChange={(e) => change("object", e.target.value)} placeholder="name or id" />}
        </FilterField>
        <FilterField label="From">
          {(id) => <input id={id} type="datetime-local" className={inputClass} value={draft.from} onChange={(e) => change("from", e.target.value)} />}
        </FilterField>
        <FilterField label="To">
          {(id) => <input id={id} type="datetime-local" className={inputClass} value={draft.to} onChange={(e) => change("to", e.target.value)} />}
        </FilterField>
      </FilterForm>

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
          <ExpandableTable
            label="Audit events, newest first"
            rows={rows}
            columns={COLUMNS}
            getRowId={(r) => r.id}
            describe={(r) => `event ${r.id}`}
            details={(r) => <EventDetails row={r} />}
          />
          <LoadMore query={events} shown={rows.length} noun="events" />
        </>
      )}
    </div>
  );
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
