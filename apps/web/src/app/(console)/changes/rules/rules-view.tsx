"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { SeverityBadge } from "@/components/change-bits";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { cardClass, linkClass } from "@/components/ui";
import { useTRPC } from "@/trpc/react";

/** Every lint rule with its explanation: the target of the rule codes shown next to check findings. */
export function RulesView() {
  const trpc = useTRPC();
  const rules = useQuery(trpc.sqlReview.rules.queryOptions());
  if (rules.isLoading) return <LoadingBlock label="Loading the lint rules…" />;
  if (rules.error || !rules.data) return <QueryError error={rules.error} what="the lint rules" />;
  return (
    <div>
      <PageHeader
        title="Lint rules"
        back={{ href: "/changes", label: "Change requests" }}
        description={
          <>
            What the checks look for in a change&apos;s SQL. Codes follow Atlas&apos;s where Atlas has the same check (DS destructive, BC backward-incompatible, MF data-dependent, PG locking and rewrites); DM codes are dbmesh&apos;s own. Each environment can switch a rule off or change its severity in its{" "}
            <Link href="/changes/policies" className={linkClass}>
              SQL review policy
            </Link>
            .
          </>
        }
      />
      <nav aria-label="Rule codes" className="mb-4 flex flex-wrap gap-1 text-xs">
        {rules.data.map((r) => (
          <a key={r.code} href={`#${r.code}`} className={`${linkClass} font-mono`}>
            {r.code}
          </a>
        ))}
      </nav>
      <div className="space-y-3">
        {rules.data.map((r) => (
          <article key={r.code} id={r.code} className={`${cardClass} scroll-mt-20 p-4 target:ring-2 target:ring-indigo-500`} aria-labelledby={`${r.code}-title`}>
            <h2 id={`${r.code}-title`} className="flex flex-wrap items-center gap-2 text-base font-semibold text-slate-900">
              <span className="font-mono">{r.code}</span> {r.title}
              <SeverityBadge severity={r.defaultSeverity} />
              <span className="text-xs font-normal text-slate-500">{r.category}</span>
            </h2>
            <p className="mt-2 text-sm text-slate-700">{r.explanation}</p>
            <div className="mt-3 grid gap-3 text-xs md:grid-cols-3">
              <div>
                <h3 className="font-medium text-slate-600">Fires on</h3>
                <pre className="mt-1 overflow-x-auto rounded bg-red-50 p-2 whitespace-pre-wrap text-red-900">{r.firesOn}</pre>
              </div>
              <div>
                <h3 className="font-medium text-slate-600">Passes</h3>
                <pre className="mt-1 overflow-x-auto rounded bg-slate-50 p-2 whitespace-pre-wrap">{r.passesOn}</pre>
              </div>
              <div>
                <h3 className="font-medium text-slate-600">Do instead</h3>
                <pre className="mt-1 overflow-x-auto rounded bg-green-50 p-2 whitespace-pre-wrap text-green-900">{r.fixExample}</pre>
              </div>
            </div>
          </article>
        ))}
      </div>
    </div>
  );
}
