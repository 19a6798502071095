"use client";

// The pieces both audit logs (console and SQL) are made of: a filter form kept in the URL, a table
// whose rows open to show everything, keyset "Load more", and the CSV link with the same filters.

import { flexRender, getCoreRowModel, useReactTable, type ExpandedState, type RowData } from "@tanstack/react-table";
import { ChevronDown, ChevronRight, FileDown, Filter, Loader2, X } from "lucide-react";
import { Fragment, useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { rolesAllowed, type Role } from "@/lib/can";
import { Alert } from "./alert";
import type { Columns } from "./data-table";
import { PageHeader } from "./page-header";
import { btn } from "./ui";

declare module "@tanstack/react-table" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the parameters must match TanStack's own declaration
  interface ColumnMeta<TData extends RowData, TValue> {
    /** Classes of the column's cells (`<td>`), e.g. widths or `whitespace-nowrap`. */
    className?: string;
    /** Classes of the column's header (`<th>`), e.g. `text-right` over numbers. */
    headerClassName?: string;
    /** The order the rows come in, announced on the header (`aria-sort`). */
    sorted?: "ascending" | "descending";
  }
}

/** "Your role cannot read …" in place of a page the role may not see: a plain statement, not an error. */
export function RoleCannotRead({ title, what, procedure, role }: { title: string; what: string; procedure: string; role: Role }) {
  const roles = rolesAllowed(procedure);
  const who = roles.length > 1 ? `${roles.slice(0, -1).join(", ")} and ${roles[roles.length - 1]}` : roles[0];
  return (
    <div>
      <PageHeader title={title} />
      <Alert tone="info">
        Your role ({role}) cannot read {what}
        {who ? `; ${who} users can.` : "."}
      </Alert>
    </div>
  );
}

/** The filter card: fields in a grid, then Apply, Clear (when something is set) and the time-zone note. */
export function FilterForm({
  label,
  onSubmit,
  onClear,
  canClear,
  columns = "sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-6",
  children,
}: {
  label: string;
  onSubmit: (e: FormEvent) => void;
  onClear: () => void;
  canClear: boolean;
  /** Grid columns per breakpoint (literal Tailwind classes). */
  columns?: string;
  children: ReactNode;
}) {
  return (
    <form onSubmit={onSubmit} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label={label}>
      <div className={`grid grid-cols-1 gap-3 ${columns}`}>{children}</div>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <button type="submit" className={btn.primary}>
          <Filter aria-hidden="true" className="size-4" />
          Apply filters
        </button>
        {canClear && (
          <button type="button" className={btn.ghost} onClick={onClear}>
            <X aria-hidden="true" className="size-4" />
            Clear filters
          </button>
        )}
        <p className="ml-auto text-xs text-slate-500">
          Times are in your time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone}); hover one for UTC.
        </p>
      </div>
    </form>
  );
}

/** A labelled field of a FilterForm; `children` gets the id its control must carry. */
export function FilterField({ label, className = "", children }: { label: string; className?: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-800">
        {label}
      </label>
      {children(id)}
    </div>
  );
}

export function ExportCsvLink({ href }: { href: string }) {
  return (
    <a href={href} className={btn.secondary} download>
      <FileDown aria-hidden="true" className="size-4" />
      Export CSV
    </a>
  );
}

/**
 * A log table (TanStack Table) whose rows open: the chevron (or a click anywhere on the row) shows
 * `details` in a full-width row below. Rows arrive in the server's order; nothing sorts here.
 */
export function ExpandableTable<T>({
  label,
  rows,
  columns,
  getRowId,
  describe,
  details,
  rowClassName,
  dense = false,
}: {
  label: string;
  rows: T[];
  columns: Columns<T>;
  getRowId: (row: T) => string;
  /** Names a row for screen readers: "Show details of <describe(row)>". */
  describe: (row: T) => string;
  details: (row: T) => ReactNode;
  rowClassName?: (row: T) => string;
  /** Tighter cells, for tables with many columns. */
  dense?: boolean;
}) {
  const [expanded, setExpanded] = useState<ExpandedState>({});
  const table = useReactTable({
    data: rows,
    columns,
    state: { expanded },
    onExpandedChange: setExpanded,
    getRowId,
    getRowCanExpand: () => true,
    getCoreRowModel: getCoreRowModel(),
  });
  const span = columns.length + 1;
  const pad = dense ? "px-2" : "px-3";
  // A table wider than the screen scrolls sideways; its details stay in view, as wide as the box.
  const box = useRef<HTMLDivElement>(null);
  const [boxWidth, setBoxWidth] = useState<number>();
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setBoxWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  return (
    <div ref={box} className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
      <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label={label}>
        <thead className="bg-slate-50">
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id} className="text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
              <th scope="col" className="w-8 px-2 py-2">
                <span className="sr-only">Details</span>
              </th>
              {hg.headers.map((h) => (
                <th key={h.id} scope="col" className={`${pad} py-2 ${h.column.columnDef.meta?.headerClassName ?? ""}`} aria-sort={h.column.columnDef.meta?.sorted}>
                  {flexRender(h.column.columnDef.header, h.getContext())}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody className="divide-y divide-slate-100">
          {table.getRowModel().rows.map((row) => {
            const open = row.getIsExpanded();
            const detailsId = `details-${row.id}`;
            return (
              <Fragment key={row.id}>
                <tr
                  className={`cursor-pointer hover:bg-slate-50 ${open ? "bg-indigo-50/40" : ""} ${rowClassName?.(row.original) ?? ""}`}
                  onClick={(e) => {
                    // Links and buttons inside a cell do their own thing.
                    if ((e.target as HTMLElement).closest("a,button")) return;
                    row.toggleExpanded();
                  }}
                >
                  <td className="px-2 py-2 align-top">
                    <button
                      type="button"
                      className="rounded p-0.5 text-slate-500 hover:bg-slate-200"
                      aria-expanded={open}
                      aria-controls={open ? detailsId : undefined}
                      onClick={() => row.toggleExpanded()}
                    >
                      {open ? <ChevronDown aria-hidden="true" className="size-4" /> : <ChevronRight aria-hidden="true" className="size-4" />}
                      <span className="sr-only">
                        {open ? "Hide" : "Show"} details of {describe(row.original)}
                      </span>
                    </button>
                  </td>
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id} className={`${pad} py-2 align-top ${cell.column.columnDef.meta?.className ?? ""}`}>
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  ))}
                </tr>
                {open && (
                  <tr id={detailsId} className="bg-slate-50">
                    <td colSpan={span} className="px-3 py-3">
                      <div className="sticky left-3" style={boxWidth ? { width: boxWidth - 26 } : undefined}>
                        {details(row.original)}
                      </div>
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Keyset paging under a log: "Load more" while the server has more, then where the log ends. */
export function LoadMore({
  query,
  shown,
  noun,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
  shown: number;
  noun: string;
}) {
  return (
    <div className="flex flex-wrap items-center gap-3">
      {query.hasNextPage ? (
        <button type="button" className={btn.secondary} onClick={() => query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage && <Loader2 aria-hidden="true" className="size-4 animate-spin" />}
          Load more
        </button>
      ) : (
        <p className="text-sm text-slate-500">End of the log for these filters.</p>
      )}
      <p className="text-sm text-slate-600" aria-live="polite">
        {shown} {noun} shown
      </p>
    </div>
  );
}
