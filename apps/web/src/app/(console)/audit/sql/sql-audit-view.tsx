"use client";

import { useQuery } from "@tanstack/react-query";
import { RefreshCw, SearchX } from "lucide-react";
import Link from "next/link";
import { useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { EmptyState } from "@/components/data-table";
import { ExportCsvLink, FilterField, FilterForm, RoleCannotRead } from "@/components/log-view";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { btn, inputClass, linkClass } from "@/components/ui";
import { toLocalInput, useUrlFilters, withCurrent } from "@/lib/url-filters";
import { useUrlState } from "@/lib/url-state";
import { useTRPC } from "@/trpc/react";
import { apiFilter, csvHref, DEFAULT_RANGE, FILTER_KEYS, narrowed, OPERATIONS, RANGES, rangeOf, windowOf } from "./filters";
import { FingerprintsTab } from "./fingerprints";
import { PerMinuteChart } from "./per-minute-chart";
import { StatementsTab } from "./statements";

export function SqlAuditView() {
  const { can, role } = useSession();
  if (!can("sqlAudit.list")) return <RoleCannotRead title="SQL audit log" what="the SQL audit log" procedure="sqlAudit.list" role={role} />;
  return <SqlAuditLog />;
}

const TABS = [
  { id: "statements", label: "Statements" },
  { id: "fingerprints", label: "By fingerprint" },
] as const;
type Tab = (typeof TABS)[number]["id"];

function SqlAuditLog() {
  const trpc = useTRPC();
  const { get, set } = useUrlState();
  const { applied, draft, change, update, submit, clear } = useUrlFilters(FILTER_KEYS);
  const view: Tab = get("view") === "fingerprints" ? "fingerprints" : "statements";

  // "Last hour" means the hour before the filters were applied (or Refresh pressed): a fixed window
  // keeps one query key, so "Load more" pages through the same set the chart counts.
  const [refreshes, setRefreshes] = useState(0);
  const filterKey = FILTER_KEYS.map((k) => applied[k]).join("\n");
  // Re-read exactly when the filters change or Refresh is pressed.
  const anchor = useMemo(() => Date.now(), [filterKey, refreshes]);
  const filter = useMemo(() => apiFilter(applied, anchor), [applied, anchor]);
  const shown = windowOf(applied, anchor);
  const chartEnd = useMemo(() => filter.to ?? new Date(anchor), [filter.to, anchor]);

  const vdbs = useQuery(trpc.virtualDatabase.list.queryOptions());
  const credentials = useQuery(trpc.credential.list.queryOptions());
  const perMinute = useQuery(trpc.sqlAudit.perMinute.queryOptions(filter));

  const range = rangeOf(draft);
  const credentialListId = useId();
  const anyFilter = narrowed(applied);
  const canClear = anyFilter || rangeOf(applied) !== DEFAULT_RANGE;

  const onRange = (value: string) => {
    if (value === "custom") {
      // Start from the window on screen, so that "custom" first shows the same statements.
      update({ range: "custom", from: toLocalInput(shown.from), to: toLocalInput(shown.to ?? new Date(anchor)) }, true);
    } else {
      update({ range: value === DEFAULT_RANGE ? "" : value, from: "", to: "" }, true);
    }
  };

  const emptyNarrowed = {
    icon: <SearchX aria-hidden="true" className="size-8 text-slate-400" />,
    title: "No statements match these filters",
    description: `Nothing in ${shown.words} matches. Widen the time range or clear some filters.`,
    action: (
      <button type="button" className={btn.secondary} onClick={clear}>
        Clear filters
      </button>
    ),
  };
  const emptyQuiet = {
    title: `No SQL recorded in ${shown.words}`,
    description: (
      <>
        Agents send the statements here as applications run queries through them: who ran what, on which virtual database, and whether an access
        rule let it through. Widen the time range, or check under{" "}
        <Link href="/fleet/agents" className={linkClass}>
          Agents
        </Link>{" "}
        that an agent is up and applications connect through it.
      </>
    ),
  };
  const empty = anyFilter ? emptyNarrowed : emptyQuiet;

  return (
    <div className="space-y-4">
      <PageHeader
        title="SQL audit log"
        description="Every statement applications ran through the agents: who ran it, on which virtual database, and whether an access rule allowed it."
        actions={
          <>
            <button type="button" className={btn.secondary} onClick={() => setRefreshes((n) => n + 1)}>
              <RefreshCw aria-hidden="true" className="size-4" />
              Refresh
            </button>
            <ExportCsvLink href={csvHref(filter)} />
          </>
        }
      />

      <FilterForm label="SQL audit filters" onSubmit={submit} onClear={clear} canClear={canClear} columns="sm:grid-cols-2 lg:grid-cols-4">
        <FilterField label="Time range">
          {(id) => (
            <select id={id} className={inputClass} value={range} onChange={(e) => onRange(e.target.value)}>
              {RANGES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
              <option value="custom">Custom…</option>
            </select>
          )}
        </FilterField>
        {range === "custom" && (
          <>
            <FilterField label="From">
              {(id) => <input id={id} type="datetime-local" className={inputClass} value={draft.from} onChange={(e) => change("from", e.target.value)} />}
            </FilterField>
            <FilterField label="To">
              {(id) => <input id={id} type="datetime-local" className={inputClass} value={draft.to} onChange={(e) => change("to", e.target.value)} />}
            </FilterField>
          </>
        )}
        <FilterField label="Virtual database">
          {(id) => (
            <select id={id} className={inputClass} value={draft.virtualDatabase} onChange={(e) => change("virtualDatabase", e.target.value, true)}>
              <option value="">any virtual database</option>
              {withCurrent(
                vdbs.data?.map((v) => v.name),
                draft.virtualDatabase,
              ).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          )}
        </FilterField>
        <FilterField label="Credential">
          {(id) => (
            <>
              {/* A list to pick from, and free text: the log keeps credentials since deleted. */}
              <input
                id={id}
                list={credentialListId}
                className={inputClass}
                value={draft.credential}
                onChange={(e) => change("credential", e.target.value)}
                placeholder="any credential"
                autoComplete="off"
              />
              <datalist id={credentialListId}>
                {credentials.data?.map((c) => (
                  <option key={c.name} value={c.name} />
                ))}
              </datalist>
            </>
          )}
        </FilterField>
        <FilterField label="Decision">
          {(id) => (
            <select id={id} className={inputClass} value={draft.decision} onChange={(e) => change("decision", e.target.value, true)}>
              <option value="">any decision</option>
              <option value="allowed">allowed</option>
              <option value="denied">denied</option>
            </select>
          )}
        </FilterField>
        <FilterField label="Operation">
          {(id) => (
            <select id={id} className={inputClass} value={draft.operation} onChange={(e) => change("operation", e.target.value, true)}>
              <option value="">any operation</option>
              {withCurrent(OPERATIONS, draft.operation).map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          )}
        </FilterField>
        <FilterField label="Table">
          {(id) => <input id={id} className={inputClass} value={draft.table} onChange={(e) => change("table", e.target.value)} placeholder="schema.table or table" />}
        </FilterField>
        <FilterField label="Fingerprint">
          {(id) => <input id={id} className={`${inputClass} font-mono`} value={draft.fingerprint} onChange={(e) => change("fingerprint", e.target.value)} placeholder="any" />}
        </FilterField>
        <FilterField label="Statement text">
          {(id) => <input id={id} type="search" className={inputClass} value={draft.text} onChange={(e) => change("text", e.target.value)} placeholder="contains…" />}
        </FilterField>
      </FilterForm>

      <PerMinuteChart data={perMinute.data} error={perMinute.error} from={filter.from} to={chartEnd} words={shown.words} />

      <Tabs current={view} onChange={(t) => set({ view: t === "statements" ? null : t })} />
      <div role="tabpanel" id={`panel-${view}`} aria-labelledby={`tab-${view}`}>
        {view === "statements" ? (
          <StatementsTab filter={filter} empty={<EmptyState {...empty} />} />
        ) : (
          <FingerprintsTab filter={filter} empty={empty} />
        )}
      </div>
    </div>
  );
}

/** The two views of one filtered set, as WAI-ARIA tabs: arrows move between them. */
function Tabs({ current, onChange }: { current: Tab; onChange: (t: Tab) => void }) {
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const onKeyDown = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === current);
    const next = e.key === "ArrowRight" ? TABS[(i + 1) % TABS.length] : e.key === "ArrowLeft" ? TABS[(i - 1 + TABS.length) % TABS.length] : null;
    if (!next) return;
    e.preventDefault();
    onChange(next.id);
    refs.current[next.id]?.focus();
  };
  return (
    <div role="tablist" aria-label="Views" className="flex gap-1 border-b border-slate-200" onKeyDown={onKeyDown}>
      {TABS.map((t) => {
        const selected = t.id === current;
        return (
          <button
            key={t.id}
            ref={(el) => {
              refs.current[t.id] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={selected}
            aria-controls={selected ? `panel-${t.id}` : undefined}
            tabIndex={selected ? 0 : -1}
            onClick={() => onChange(t.id)}
            className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap ${
              selected ? "border-indigo-600 text-indigo-700" : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900"
            }`}
          >
            {t.label}
          </button>
        );
      })}
    </div>
  );
}
