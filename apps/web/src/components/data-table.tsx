"use client";

import {
  flexRender,
  getCoreRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from "@tanstack/react-table";
import { ArrowDown, ArrowUp, ArrowUpDown, Inbox, Search, SearchX } from "lucide-react";
import { useEffect, useId, useMemo, useRef, useState, type ReactNode } from "react";
import { useUrlState } from "@/lib/url-state";
import { LoadingBlock, QueryError } from "./loading";
import { btn, inputClass } from "./ui";

// Columns mix value types (string, number, array); `unknown` would make every literal column list fail
// assignability, so the value type stays open here as TanStack's own examples do.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Columns<T> = ColumnDef<T, any>[];

export function EmptyState({ icon, title, description, action }: { icon?: ReactNode; title: string; description: ReactNode; action?: ReactNode }) {
  return (
    <div className="flex flex-col items-center rounded-lg border border-dashed border-slate-300 bg-white px-6 py-10 text-center">
      {icon ?? <Inbox aria-hidden="true" className="size-8 text-slate-400" />}
      <h2 className="mt-3 text-base font-semibold text-slate-900">{title}</h2>
      <div className="mt-1 max-w-md text-sm text-slate-600">{description}</div>
      {action && <div className="mt-4">{action}</div>}
    </div>
  );
}

/** "traffic strategies" → "traffic strategy", "endpoints" → "endpoint". */
function singular(noun: string): string {
  if (noun.endsWith("ies")) return `${noun.slice(0, -3)}y`;
  return noun.endsWith("s") ? noun.slice(0, -1) : noun;
}

/** Sorts arrays and nulls sensibly: by length for arrays, nulls last. */
function sortValue(v: unknown): string | number {
  if (v === null || v === undefined) return "\uffff";
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) return v.length;
  return String(v).toLowerCase();
}

/**
 * A list on TanStack Table: sortable headers (aria-sort), a search box, and both kept in the URL
 * (`?q=…&sort=name&dir=asc`) so a filtered, sorted view is a link. Says what to do when empty.
 */
export function DataTable<T>({
  label,
  noun,
  data,
  columns,
  isLoading,
  error,
  searchText,
  empty,
  toolbar,
  defaultSort,
  getRowId,
  rowClassName,
  search = true,
  filtersActive = false,
  onClearFilters,
  onRowClick,
}: {
  /** The table's accessible name, e.g. "Endpoints". */
  label: string;
  /** Plural noun for the counter, e.g. "endpoints". */
  noun: string;
  data: T[] | undefined;
  columns: Columns<T>;
  isLoading?: boolean;
  error?: unknown;
  /** Text a search matches against (case-insensitive substring). */
  searchText: (row: T) => string;
  empty: { title: string; description: ReactNode; action?: ReactNode; icon?: ReactNode };
  /** Extra filters shown next to the search box. */
  toolbar?: ReactNode;
  defaultSort?: { id: string; desc?: boolean };
  getRowId?: (row: T) => string;
  rowClassName?: (row: T) => string;
  search?: boolean;
  /** The caller narrowed `data` with its own filters (toolbar): an empty list then means "no matches". */
  filtersActive?: boolean;
  onClearFilters?: () => void;
  /** A click anywhere on a row (but on its links and buttons, which do their own thing). Give the row a link too, for keyboards. */
  onRowClick?: (row: T) => void;
}) {
  const { get, set } = useUrlState();
  const searchId = useId();
  const q = get("q");
  const sortId = get("sort");
  const dir = get("dir");

  // The box updates at once; the URL follows shortly after, without fighting the typist.
  const [text, setText] = useState(q);
  const written = useRef(q);
  useEffect(() => {
    if (q !== written.current) {
      written.current = q;
      setText(q);
    }
  }, [q]);
  useEffect(() => {
    if (text === written.current) return;
    const t = setTimeout(() => {
      written.current = text;
      set({ q: text || null });
    }, 250);
    return () => clearTimeout(t);
  }, [text, set]);

  const sorting: SortingState = useMemo(() => {
    if (sortId && columns.some((c) => c.id === sortId)) return [{ id: sortId, desc: dir === "desc" }];
    return defaultSort ? [{ id: defaultSort.id, desc: !!defaultSort.desc }] : [];
  }, [sortId, dir, columns, defaultSort]);

  const filtered = useMemo(() => {
    const needle = text.trim().toLowerCase();
    if (!data || !needle) return data ?? [];
    return data.filter((r) => searchText(r).toLowerCase().includes(needle));
  }, [data, text, searchText]);

  const table = useReactTable({
    data: filtered,
    columns,
    state: { sorting },
    getRowId: getRowId ? (r) => getRowId(r) : undefined,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    sortingFns: {},
    defaultColumn: {
      sortingFn: (a, b, id) => {
        const x = sortValue(a.getValue(id));
        const y = sortValue(b.getValue(id));
        if (typeof x === "number" && typeof y === "number") return x - y;
        return String(x).localeCompare(String(y), undefined, { numeric: true });
      },
    },
  });

  const toggleSort = (id: string) => {
    const current = sorting[0];
    const nextDir = current?.id === id && !current.desc ? "desc" : "asc";
    set({ sort: id, dir: nextDir });
  };

  if (error) return <QueryError error={error} what={label.toLowerCase()} />;
  if (isLoading || !data) return <LoadingBlock label={`Loading ${label.toLowerCase()}…`} />;

  const total = data.length;
  const shown = filtered.length;

  return (
    <div className="space-y-3">
      {(search || toolbar) && (total > 0 || filtersActive) && (
        <div className="flex flex-wrap items-end gap-3">
          {search && (
            <div className="w-full sm:w-72">
              <label htmlFor={searchId} className="mb-1 block text-sm font-medium text-slate-800">
                Search
              </label>
              <div className="relative">
                <Search aria-hidden="true" className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-slate-400" />
                <input
                  id={searchId}
                  type="search"
                  value={text}
                  onChange={(e) => setText(e.target.value)}
                  placeholder={`Filter ${noun}…`}
                  className={`${inputClass} pl-8`}
                />
              </div>
            </div>
          )}
          {toolbar}
          <p className="ml-auto text-sm text-slate-600" aria-live="polite">
            {shown === total ? `${total} ${total === 1 ? singular(noun) : noun}` : `${shown} of ${total} ${noun}`}
          </p>
        </div>
      )}

      {total === 0 && !filtersActive ? (
        <EmptyState icon={empty.icon} title={empty.title} description={empty.description} action={empty.action} />
      ) : shown === 0 ? (
        <EmptyState
          icon={<SearchX aria-hidden="true" className="size-8 text-slate-400" />}
          title={text ? `No ${noun} match “${text}”` : `No ${noun} match these filters`}
          description={text ? "Try a shorter search, or clear it to see everything." : "Change or clear the filters to see more."}
          action={
            text ? (
              <button type="button" className={btn.secondary} onClick={() => setText("")}>
                Clear search
              </button>
            ) : onClearFilters ? (
              <button type="button" className={btn.secondary} onClick={onClearFilters}>
                Clear filters
              </button>
            ) : undefined
          }
        />
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
          <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label={label}>
            <thead className="bg-slate-50">
              {table.getHeaderGroups().map((hg) => (
                <tr key={hg.id}>
                  {hg.headers.map((h) => {
                    const canSort = h.column.getCanSort() && h.column.columnDef.enableSorting !== false;
                    const s = h.column.getIsSorted();
                    const headerText = flexRender(h.column.columnDef.header, h.getContext());
                    return (
                      <th
                        key={h.id}
                        scope="col"
                        aria-sort={canSort ? (s === "asc" ? "ascending" : s === "desc" ? "descending" : "none") : undefined}
                        className="px-3 py-2 text-left text-xs font-semibold tracking-wide whitespace-nowrap text-slate-600 uppercase"
                      >
                        {canSort ? (
                          <button
                            type="button"
                            onClick={() => toggleSort(h.column.id)}
                            className="-mx-1 inline-flex items-center gap-1 rounded px-1 py-0.5 uppercase hover:bg-slate-200/60 hover:text-slate-900"
                          >
                            {headerText}
                            {s === "asc" ? (
                              <ArrowUp aria-hidden="true" className="size-3.5" />
                            ) : s === "desc" ? (
                              <ArrowDown aria-hidden="true" className="size-3.5" />
                            ) : (
                              <ArrowUpDown aria-hidden="true" className="size-3.5 text-slate-400" />
                            )}
                          </button>
                        ) : (
                          headerText
                        )}
                      </th>
                    );
                  })}
                </tr>
              ))}
            </thead>
            <tbody className="divide-y divide-slate-100">
              {table.getRowModel().rows.map((row) => (
                <tr
                  key={row.id}
                  className={`hover:bg-slate-50 ${onRowClick ? "cursor-pointer" : ""} ${rowClassName?.(row.original) ?? ""}`}
                  onClick={
                    onRowClick
                      ? (e) => {
                          if (!(e.target as HTMLElement).closest("a,button,input,select,textarea,label")) onRowClick(row.original);
                        }
                      : undefined
                  }
                >
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id} className="px-3 py-2 align-top text-slate-800">
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
