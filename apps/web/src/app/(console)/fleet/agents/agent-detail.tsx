"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Minus, RefreshCw } from "lucide-react";
import type { ReactNode } from "react";
import { AGENT_ALARM_LABEL, AGENT_REFRESH_MS, AgentStatusBadge, BackendHealthBadge, RevisionBadge } from "@/components/agent-bits";
import { Alert } from "@/components/alert";
import { DeleteButton } from "@/components/confirm-dialog";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge } from "@/components/status-badge";
import { RelativeTime, Time } from "@/components/time";
import { useToast } from "@/components/toast";
import { bytes, duration, humanizeKey, num } from "@/lib/format";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Detail = RouterOutputs["agent"]["get"];
type Agent = Detail["agent"];

/** The counters the agent documents, in a reading order; any others follow alphabetically. */
const COUNTER_ORDER = [
  "queriesPerSecond",
  "clientConnections",
  "serverConnections",
  "queriesTotal",
  "errorsTotal",
  "poolWaitsTotal",
  "auditSpooled",
  "auditSent",
  "auditDropped",
  "auditSpoolBytes",
];

const th = "px-3 py-2 text-left text-xs font-semibold tracking-wide whitespace-nowrap text-slate-600 uppercase";
const td = "px-3 py-2 align-top text-slate-800";

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{term}</dt>
      <dd className="mt-0.5 text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

const none = <span className="text-slate-400">—</span>;

export function AgentDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { can } = useSession();
  const detail = useQuery(trpc.agent.get.queryOptions({ id }, { refetchInterval: AGENT_REFRESH_MS }));
  const revoke = useMutation(trpc.agent.revoke.mutationOptions());
  const back = { href: "/fleet/agents", label: "Agents" };

  if (detail.error) {
    return (
      <>
        <PageHeader title="Agent" back={back} />
        <QueryError error={detail.error} what="the agent" />
      </>
    );
  }
  if (!detail.data) return <LoadingBlock label="Loading the agent…" />;
  const { agent, revision, fetches } = detail.data;

  return (
    <div className="space-y-5">
      <PageHeader
        back={back}
        title={
          <span className="inline-flex flex-wrap items-center gap-2">
            {agent.name}
            <AgentStatusBadge status={agent.status} />
          </span>
        }
        description={
          <>
            Agent <code className="font-mono text-xs">{agent.id}</code>, token <code className="font-mono text-xs">{agent.tokenPrefix}…</code>,
            registered <Time value={agent.createdAt} />.
          </>
        }
        actions={
          can("agent.revoke") && !agent.revoked ? (
            <DeleteButton
              label="Revoke"
              what={`agent "${agent.name}"`}
              consequence="Its token stops working at once: the agent can no longer fetch configuration or report heartbeats, and keeps serving its last configuration only until it restarts. This cannot be undone; register a new agent to replace it."
              onDelete={async () => {
                await revoke.mutateAsync({ id: agent.id });
                await queryClient.invalidateQueries(trpc.agent.pathFilter());
                toast(`Agent "${agent.name}" revoked.`);
              }}
            />
          ) : undefined
        }
      />

      {agent.status === "never_seen" && (
        <Alert tone="info" title="Not seen yet">
          No heartbeat has arrived with this agent&apos;s token. Start the agent with it (
          <code className="font-mono text-xs">DBMESH_API_URL=… DBMESH_AGENT_TOKEN=… npm start -w @dbmesh/agent</code>): it appears here within
          seconds.
        </Alert>
      )}
      {agent.status === "down" && (
        <Alert tone="error" title="No recent heartbeat">
          The last one arrived <RelativeTime value={agent.lastHeartbeatAt} />. The figures below are what it reported then.
        </Alert>
      )}

      {agent.alarms.map((alarm) => (
        <Alert key={alarm.code} tone="error" title={`Alarm: ${AGENT_ALARM_LABEL[alarm.code] ?? alarm.code}`}>
          {alarm.message} Since <Time value={alarm.since} />
          {alarm.code === "audit_dropping" && (
            <>
              {" "}
              — the agent cannot hand its SQL audit events to this console fast enough and its spool is full, so it drops new events
              instead of slowing queries. Check that it reaches this console (its audit batches are acknowledged) and the space under its
              state directory.
            </>
          )}
        </Alert>
      ))}

      <Overview agent={agent} revision={revision} />

      <Section
        title="Backend health"
        description="What the agent found when it last checked each backend of each virtual database."
        actions={<BackendHealthBadge backends={agent.backends} />}
      >
        {agent.backends.length === 0 ? (
          <p className="text-sm text-slate-600">The agent has reported no backends{agent.status === "never_seen" ? " yet" : ""}.</p>
        ) : (
          <div className="-mx-4 overflow-x-auto sm:-mx-5">
            <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Backend health">
              <thead className="bg-slate-50">
                <tr>
                  <th scope="col" className={th}>Virtual database</th>
                  <th scope="col" className={th}>Backend</th>
                  <th scope="col" className={th}>Health</th>
                  <th scope="col" className={th}>Last error</th>
                  <th scope="col" className={th}>Checked</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {agent.backends.map((b) => (
                  <tr key={`${b.virtualDatabase}/${b.backend}`}>
                    <td className={`${td} font-medium whitespace-nowrap`}>{b.virtualDatabase}</td>
                    <td className={`${td} whitespace-nowrap`}>{b.backend}</td>
                    <td className={td}>
                      {b.healthy ? <StatusBadge tone="success" label="healthy" /> : <StatusBadge tone="danger" label="unhealthy" />}
                    </td>
                    <td className={`${td} min-w-56 max-w-md`}>
                      {b.lastError ? <span className="font-mono text-xs break-words text-red-800">{b.lastError}</span> : none}
                    </td>
                    <td className={td}>
                      <RelativeTime value={b.checkedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      <Counters agent={agent} />

      <Section
        title="Recent config fetches"
        description="The agent's last 50 long-polls: a new config when the mesh changed, unchanged when the wait ran out."
      >
        {fetches.length === 0 ? (
          <p className="text-sm text-slate-600">The agent has not fetched its configuration yet.</p>
        ) : (
          <div className="-mx-4 overflow-x-auto sm:-mx-5">
            <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Recent config fetches">
              <thead className="bg-slate-50">
                <tr>
                  <th scope="col" className={th}>Time</th>
                  <th scope="col" className={th}>Answer</th>
                  <th scope="col" className={th}>Revision</th>
                  <th scope="col" className={th}>Known revision</th>
                  <th scope="col" className={th}>Waited for</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {fetches.map((f) => (
                  <tr key={f.id}>
                    <td className={td}>
                      <Time value={f.at} precise />
                    </td>
                    <td className={td}>
                      {f.status === 200 ? (
                        <StatusBadge tone="success" icon={RefreshCw} label="200 new config" ariaLabel="200: new config" />
                      ) : (
                        <StatusBadge tone="neutral" icon={Minus} label={`${f.status} unchanged`} ariaLabel={`${f.status}: unchanged`} />
                      )}
                    </td>
                    <td className={`${td} tabular-nums`}>{f.revision}</td>
                    <td className={`${td} tabular-nums`}>{f.knownRevision ?? <span className="text-slate-500 italic">none (first start)</span>}</td>
                    <td className={`${td} whitespace-nowrap tabular-nums`}>{duration(f.waitedMs)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </div>
  );
}

function Overview({ agent, revision }: { agent: Agent; revision: number }) {
  return (
    <Section title="Agent">
      <dl className="grid grid-cols-2 gap-x-6 gap-y-4 lg:grid-cols-4">
        <Fact term="Status">
          <AgentStatusBadge status={agent.status} />
        </Fact>
        <Fact term="Version">{agent.version ? <code className="font-mono text-xs">{agent.version}</code> : none}</Fact>
        <Fact term="Listens on">{agent.address ? <code className="font-mono text-xs">{agent.address}</code> : none}</Fact>
        <Fact term="Heartbeats from">{agent.remoteAddress ? <code className="font-mono text-xs">{agent.remoteAddress}</code> : none}</Fact>
        <Fact term="Started">
          <Time value={agent.startedAt} precise wrap />
        </Fact>
        <Fact term="Last heartbeat">
          <RelativeTime value={agent.lastHeartbeatAt} empty="never" />
        </Fact>
        <Fact term="Applied revision">
          <span className="inline-flex flex-wrap items-center gap-2">
            <span className="tabular-nums">
              {agent.appliedRevision ?? "none"} <span className="text-slate-500">of {revision}</span>
            </span>
            <RevisionBadge agent={agent} current={revision} />
          </span>
        </Fact>
        <Fact term="Backends">
          <BackendHealthBadge backends={agent.backends} />
        </Fact>
      </dl>
    </Section>
  );
}

function Counters({ agent }: { agent: Agent }) {
  const entries = Object.entries(agent.counters).sort(([a], [b]) => {
    const ia = COUNTER_ORDER.indexOf(a);
    const ib = COUNTER_ORDER.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
    return a.localeCompare(b);
  });
  return (
    <Section title="Counters" description={agent.status === "up" ? "From the latest heartbeat." : "From the last heartbeat received."}>
      {entries.length === 0 ? (
        <p className="text-sm text-slate-600">No counters reported{agent.status === "never_seen" ? " yet" : ""}.</p>
      ) : (
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
          {entries.map(([k, v]) => (
            <div key={k} className="rounded-md border border-slate-200 bg-slate-50 px-3 py-2">
              <dt className="truncate text-xs text-slate-600" title={k}>
                {humanizeKey(k)}
              </dt>
              <dd className="mt-0.5 text-lg font-semibold text-slate-900 tabular-nums">{k.endsWith("Bytes") ? bytes(v) : num(v)}</dd>
            </div>
          ))}
        </dl>
      )}
    </Section>
  );
}
