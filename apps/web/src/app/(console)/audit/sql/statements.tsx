"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { Filter } from "lucide-react";
import Link from "next/link";
import { useMemo, type ReactNode } from "react";
import { type Columns } from "@/components/data-table";
import { LoadingBlock, QueryError } from "@/components/loading";
import { ExpandableTable, LoadMore } from "@/components/log-view";
import { Chip, StatusBadge } from "@/components/status-badge";
import { Time } from "@/components/time";
import { linkClass } from "@/components/ui";
import { micros, num } from "@/lib/format";
import { useUrlState } from "@/lib/url-state";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import type { SqlAuditFilter } from "./filters";

type Row = RouterOutputs["sqlAudit"]["list"]["items"][number];
type TableRef = Row["tables"][number];

const PAGE = 50;

const none = <span className="text-slate-400">—</span>;
const rowCount = (n: number | null) => (n === null ? "—" : `${num(n)} ${n === 1 ? "row" : "rows"}`);
const tableRef = (t: TableRef) => `${t.schema ? `${t.schema}.` : ""}${t.name}:${t.operation}`;

export function DecisionBadge({ decision }: { decision: Row["decision"] }) {
  return decision === "denied" ? <StatusBadge tone="danger" label="denied" /> : <StatusBadge tone="success" label="allowed" />;
}

function TableChips({ tables, max = 3 }: { tables: TableRef[]; max?: number }) {
  if (tables.length === 0) return null;
  return (
    <span className="mt-1 flex flex-wrap gap-1">
      {tables.slice(0, max).map((t, i) => (
        <Chip key={i}>{tableRef(t)}</Chip>
      ))}
      {tables.length > max && <span className="text-xs text-slate-500">+{tables.length - max} more</span>}
    </span>
  );
}

/** SQLSTATE class 00 is success; anything else is the server's error (red) or warning. */
function SqlState({ code }: { code: string | null }) {
  if (!code) return none;
  return <code className={`font-mono text-xs ${code.startsWith("00") ? "text-slate-700" : "text-red-700"}`}>{code}</code>;
}

/**
 * Two facts to a cell, the second smaller, so that all eleven fit beside the statement at 1280 px:
 * the row is two lines high anyway (date over time).
 */
function Pair({ top, bottom, className = "" }: { top: ReactNode; bottom?: ReactNode; className?: string }) {
  return (
    <span className={`block leading-tight ${className}`}>
      <span className="block">{top}</span>
      {bottom && <span className="mt-0.5 block text-xs text-slate-500">{bottom}</span>}
    </span>
  );
}

const pairHeader = (top: string, bottom: string) => (
  <>
    {top}{" "}
    <span className="block font-normal normal-case">{bottom}</span>
  </>
);

const COLUMNS: Columns<Row> = [
  { id: "time", header: "Time", meta: { sorted: "descending" }, cell: ({ row }) => <Time value={row.original.occurredAt} stacked /> },
  {
    id: "who",
    header: () => pairHeader("Virtual database", "credential"),
    cell: ({ row }) => (
      <Pair
        className="max-w-44"
        top={<span className="block truncate">{row.original.virtualDatabase}</span>}
        bottom={
          <span className="block truncate" title={row.original.credential}>
            {row.original.credential}
          </span>
        }
      />
    ),
  },
  {
    id: "client",
    header: () => pairHeader("Client", "application"),
    cell: ({ row }) => (
      <Pair
        className="max-w-40"
        top={<span className="font-mono text-xs whitespace-nowrap text-slate-700">{row.original.clientAddress ?? "—"}</span>}
        bottom={row.original.applicationName && <span className="block truncate">{row.original.applicationName}</span>}
      />
    ),
  },
  {
    id: "decision",
    header: () => pairHeader("Decision", "kind"),
    cell: ({ row }) => <Pair top={<DecisionBadge decision={row.original.decision} />} bottom={<code className="font-mono">{row.original.kind}</code>} />,
  },
  {
    id: "statement",
    header: () => pairHeader("Statement", "tables"),
    // The statement takes what the other columns leave, and is cut there; the details show it whole.
    meta: { className: "w-full max-w-0 min-w-60" },
    cell: ({ row }) => (
      <>
        <code className="block truncate font-mono text-xs text-slate-800">{row.original.statement}</code>
        <TableChips tables={row.original.tables} />
      </>
    ),
  },
  {
    id: "duration",
    header: () => pairHeader("Duration", "rows"),
    meta: { className: "text-right whitespace-nowrap tabular-nums", headerClassName: "text-right" },
    cell: ({ row }) => <Pair top={micros(row.original.durationUs)} bottom={rowCount(row.original.rows)} />,
  },
  { id: "sqlstate", header: "SQLSTATE", cell: ({ row }) => <SqlState code={row.original.sqlstate} /> },
];

export function StatementsTab({ filter, empty }: { filter: SqlAuditFilter; empty: ReactNode }) {
  const trpc = useTRPC();
  const statements = useInfiniteQuery(
    trpc.sqlAudit.list.infiniteQueryOptions({ ...filter, limit: PAGE }, { getNextPageParam: (last) => last.nextCursor ?? undefined }),
  );
  const rows = useMemo(() => statements.data?.pages.flatMap((p) => p.items) ?? [], [statements.data]);

  if (statements.error) return <QueryError error={statements.error} what="the SQL audit log" />;
  if (statements.isLoading) return <LoadingBlock label="Loading statements…" />;
  if (rows.length === 0) return empty;
  return (
    <div className="space-y-3">
      <ExpandableTable
        label="Statements, newest first"
        rows={rows}
        columns={COLUMNS}
        getRowId={(r) => r.id}
        describe={(r) => `the ${r.kind} statement of ${r.credential} at ${new Date(r.occurredAt).toISOString()}`}
        details={(r) => <StatementDetails row={r} />}
        rowClassName={(r) => (r.decision === "denied" ? "bg-red-50/40" : "")}
        dense
      />
      <LoadMore query={statements} shown={rows.length} noun="statements" />
    </div>
  );
}

function Item({ term, children, wide = false }: { term: string; children: ReactNode; wide?: boolean }) {
  return (
    <div className={`min-w-0 ${wide ? "sm:col-span-2 lg:col-span-3" : ""}`}>
      <dt className="text-xs font-semibold text-slate-600">{term}</dt>
      <dd className="mt-0.5 text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

function StatementDetails({ row }: { row: Row }) {
  const { href } = useUrlState();
  return (
    <div className="space-y-3">
      <div>
        <h3 className="mb-1 text-xs font-semibold tracking-wide text-slate-600 uppercase">Statement</h3>
        <pre className="max-h-80 overflow-auto rounded-md border border-slate-200 bg-white p-2 font-mono text-xs leading-relaxed break-all whitespace-pre-wrap text-slate-800">
          {row.statement}
        </pre>
      </div>
      <dl className="grid grid-cols-1 gap-x-6 gap-y-2 sm:grid-cols-2 lg:grid-cols-3">
        <Item term="Decision">
          <span className="inline-flex flex-wrap items-center gap-2">
            <DecisionBadge decision={row.decision} />
            <span className="text-xs text-slate-600">
              {row.rule ? (
                <>
                  by rule <code className="font-mono">{row.rule}</code>
                </>
              ) : (
                "no rule matched"
              )}
            </span>
          </span>
        </Item>
        <Item term="Backend">{row.backend ?? none}</Item>
        <Item term="Agent">{row.agentName}</Item>
        <Item term="Virtual database">{row.virtualDatabase}</Item>
        <Item term="Credential">{row.credential}</Item>
        <Item term="Client">
          <span className="font-mono text-xs">{row.clientAddress ?? "—"}</span>
          {row.applicationName && <span className="ml-2 text-slate-600">{row.applicationName}</span>}
        </Item>
        <Item term="Kind">
          <code className="font-mono text-xs">{row.kind}</code>
        </Item>
        <Item term="Duration · rows · SQLSTATE">
          {micros(row.durationUs)} · {rowCount(row.rows)} · <SqlState code={row.sqlstate} />
        </Item>
        <Item term="Event">
          <span className="font-mono text-xs">{row.id}</span>
        </Item>
        <Item term="Fingerprint">
          <span className="inline-flex flex-wrap items-center gap-x-3 gap-y-1">
            <code className="font-mono text-xs">{row.fingerprint}</code>
            <Link href={href({ fingerprint: row.fingerprint, view: null })} className={`${linkClass} inline-flex items-center gap-1 text-xs`}>
              <Filter aria-hidden="true" className="size-3.5" />
              Filter by this fingerprint
            </Link>
          </span>
        </Item>
        <Item term="Tables" wide>
          {row.tables.length ? (
            <span className="flex flex-wrap gap-1">
              {row.tables.map((t, i) => (
                <Chip key={i}>{tableRef(t)}</Chip>
              ))}
            </span>
          ) : (
            none
          )}
        </Item>
        <Item term="Occurred">
          <Time value={row.occurredAt} precise />
          <span className="block font-mono text-xs text-slate-500">{new Date(row.occurredAt).toISOString()}</span>
        </Item>
      </dl>
    </div>
  );
}
