"use client";

import { useQuery } from "@tanstack/react-query";
import { Boxes, Layers, RadioTower, Route, Server, ShieldCheck, type LucideIcon } from "lucide-react";
import Link from "next/link";
import { AGENT_REFRESH_MS, agentCounts } from "@/components/agent-bits";
import { BackupAttention } from "@/components/backup-bits";
import { ActionText, AuditActor, AuditObject } from "@/components/audit-bits";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { Time } from "@/components/time";
import { linkClass } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import { SchemaDriftNotice } from "./changes/drift-notice";

type CountKey = "environments" | "endpoints" | "strategies" | "virtualDatabases" | "accessRules";

const CARDS: { key: CountKey; label: string; href: string; icon: LucideIcon }[] = [
  { key: "virtualDatabases", label: "Virtual databases", href: "/mesh/virtual-databases", icon: Boxes },
  { key: "endpoints", label: "Endpoints", href: "/mesh/endpoints", icon: Server },
  { key: "strategies", label: "Traffic strategies", href: "/mesh/traffic-strategies", icon: Route },
  { key: "accessRules", label: "Access rules", href: "/mesh/access-rules", icon: ShieldCheck },
  { key: "environments", label: "Environments", href: "/settings/environments", icon: Layers },
];

export function OverviewView() {
  const trpc = useTRPC();
  const { can } = useSession();
  const overview = useQuery(trpc.mesh.overview.queryOptions());
  const agents = useQuery(trpc.agent.list.queryOptions(undefined, { refetchInterval: AGENT_REFRESH_MS }));
  const mayReadAudit = can("audit.list");
  const audit = useQuery(trpc.audit.list.queryOptions({ limit: 10 }, { enabled: mayReadAudit }));

  return (
    <div className="space-y-6">
      <PageHeader
        title="Fleet overview"
        description={
          overview.data ? (
            <>
              Mesh revision <strong className="font-semibold text-slate-900">{overview.data.revision}</strong>
              {overview.data.updatedAt ? (
                <>
                  , last changed <Time value={overview.data.updatedAt} />
                </>
              ) : (
                ", not changed yet"
              )}
              . Agents pick up each new revision on their next poll.
            </>
          ) : (
            "What the mesh holds right now."
          )
        }
      />
      <SchemaDriftNotice />
      {overview.error ? (
        <QueryError error={overview.error} what="the overview" />
      ) : !overview.data ? (
        <LoadingBlock />
      ) : (
        <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3 2xl:grid-cols-6">
          <li>
            <AgentsCard counts={agents.data ? agentCounts(agents.data.agents) : null} failed={!!agents.error} />
          </li>
          {CARDS.map((c) => (
            <li key={c.key}>
              <Link
                href={c.href}
                className="group flex h-full flex-col rounded-lg border border-slate-200 bg-white p-4 shadow-sm hover:border-indigo-300 hover:shadow"
              >
                <span className="flex items-center gap-2 text-sm text-slate-600 group-hover:text-indigo-700">
                  <c.icon aria-hidden="true" className="size-4" />
                  {c.label}
                </span>
                <span className="mt-2 text-3xl font-semibold text-slate-900 tabular-nums">{overview.data.counts[c.key]}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}

      <BackupAttention />

      {mayReadAudit && (
        <Section
          title="Latest changes"
          description="The ten most recent entries of the console's audit log."
          actions={
            <Link href="/audit" className={`${linkClass} text-sm`}>
              Open the audit log
            </Link>
          }
        >
          {audit.error ? (
            <QueryError error={audit.error} what="the audit log" />
          ) : !audit.data ? (
            <LoadingBlock />
          ) : audit.data.items.length === 0 ? (
            <p className="text-sm text-slate-600">Nothing has been recorded yet.</p>
          ) : (
            <div className="overflow-x-auto">
              <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Latest audit events">
                <thead>
                  <tr className="text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
                    <th scope="col" className="py-2 pr-3">Time</th>
                    <th scope="col" className="py-2 pr-3">Actor</th>
                    <th scope="col" className="py-2 pr-3">Action</th>
                    <th scope="col" className="py-2 pr-3">Object</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {audit.data.items.map((r) => (
                    <tr key={r.id}>
                      <td className="py-2 pr-3 align-top">
                        <Time value={r.createdAt} precise />
                      </td>
                      <td className="py-2 pr-3 align-top">
                        <AuditActor row={r} />
                      </td>
                      <td className="py-2 pr-3 align-top">
                        <ActionText action={r.action} />
                      </td>
                      <td className="py-2 pr-3 align-top">
                        <span className="mr-1 text-xs text-slate-500">{r.objectType}</span>
                        <AuditObject row={r} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Section>
      )}
    </div>
  );
}

/** "Agents: N up / M total" (revoked agents are not counted), red when some are down. */
function AgentsCard({ counts, failed }: { counts: ReturnType<typeof agentCounts> | null; failed: boolean }) {
  const label = counts ? `Agents: ${counts.up} up / ${counts.total} total` : "Agents";
  return (
    <Link
      href="/fleet/agents"
      aria-label={counts ? `${label}${counts.down ? `, ${counts.down} down` : ""}` : undefined}
      className="group flex h-full flex-col rounded-lg border border-slate-200 bg-white p-4 shadow-sm hover:border-indigo-300 hover:shadow"
    >
      <span className="flex items-center gap-2 text-sm text-slate-600 group-hover:text-indigo-700">
        <RadioTower aria-hidden="true" className="size-4" />
        Agents
      </span>
      {counts ? (
        <>
          <span className="mt-2 text-3xl font-semibold text-slate-900 tabular-nums">
            {counts.up}
            <span className="ml-1 text-sm font-normal text-slate-600">up / {counts.total} total</span>
          </span>
          {counts.down > 0 && <span className="mt-1 text-xs font-medium text-red-700">{counts.down} down</span>}
          {counts.total === 0 && <span className="mt-1 text-xs text-slate-500">none registered yet</span>}
        </>
      ) : (
        <span className="mt-2 text-sm text-slate-500">{failed ? "could not load" : "loading…"}</span>
      )}
    </Link>
  );
}
