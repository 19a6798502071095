"use client";

import { ResourceName } from "@dbmesh/mesh";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus, RadioTower } from "lucide-react";
import Link from "next/link";
import { useId, useMemo, useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { z } from "zod";
import { AGENT_REFRESH_MS, AGENT_STATUS_LABEL, AgentAlarmBadge, AgentStatusBadge, BackendHealthBadge, backendHealth, RevisionBadge, revisionLag, agentCounts, type AgentRow, type AgentStatus } from "@/components/agent-bits";
import { Alert } from "@/components/alert";
import { CopyBox } from "@/components/copy-box";
import { DataTable, type Columns } from "@/components/data-table";
import { applyServerError, TextField } from "@/components/form-fields";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { RelativeTime } from "@/components/time";
import { btn, inputClass, linkClass } from "@/components/ui";
import { num, plural } from "@/lib/format";
import { useUrlState } from "@/lib/url-state";
import { useTRPC } from "@/trpc/react";

// Mirrors agent.create's input (packages/api/src/services/agents.ts), which is server code.
const AgentCreate = z.object({ name: ResourceName });

const STATUSES: AgentStatus[] = ["up", "down", "never_seen", "revoked"];

/** Queries per second and client connections from the last heartbeat; greyed when stale (the agent is not up). */
function Load({ agent }: { agent: AgentRow }) {
  const qps = agent.counters.queriesPerSecond;
  const clients = agent.counters.clientConnections;
  if (typeof qps !== "number" && typeof clients !== "number") return <span className="text-slate-400">—</span>;
  const stale = agent.status !== "up";
  return (
    <div
      className={`text-xs whitespace-nowrap tabular-nums ${stale ? "text-slate-400" : "text-slate-700"}`}
      title={stale ? "the last reported values: the agent is not up" : undefined}
    >
      <div>
        <span className={`text-sm font-medium ${stale ? "" : "text-slate-900"}`}>{num(qps)}</span> queries/s
      </div>
      <div>{typeof clients === "number" ? plural(clients, "client") : "— clients"}</div>
    </div>
  );
}

export function runCommand(origin: string, token: string) {
  return `DBMESH_API_URL=${origin} DBMESH_AGENT_TOKEN=${token} npm start -w @dbmesh/agent`;
}

/** The token of a just-registered agent, shown once, with the command that starts it. */
export function RegisteredAgent({ name, token, onDone }: { name: string; token: string; onDone: () => void }) {
  const origin = typeof window === "undefined" ? "http://127.0.0.1:3000" : window.location.origin;
  return (
    <Section title={`Agent "${name}" registered`}>
      <div className="space-y-3">
        <Alert tone="warning" title="Copy the token now">
          It is shown only once and cannot be recovered; only a hash of it is kept. It lets the agent read the mesh configuration,
          backend passwords included: keep it as secret as those.
        </Alert>
        <CopyBox label="Agent token" value={token} />
        <CopyBox
          label="Start the agent"
          value={runCommand(origin, token)}
          multiline
          hint="Run it from the dbmesh checkout on the host that will serve applications; it listens on port 6432 and shows up here within seconds."
        />
        <button type="button" className={btn.secondary} onClick={onDone}>
          Done
        </button>
      </div>
    </Section>
  );
}

export function AgentList() {
  const trpc = useTRPC();
  const { can } = useSession();
  const { get, set } = useUrlState();
  const statusFilterId = useId();
  const status = get("status") as AgentStatus | "";
  const list = useQuery(trpc.agent.list.queryOptions(undefined, { refetchInterval: AGENT_REFRESH_MS }));
  const mayCreate = can("agent.create");
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const current = list.data?.revision ?? 0;

  const rows = useMemo(() => {
    const agents = list.data?.agents;
    return agents && status ? agents.filter((a) => a.status === status) : agents;
  }, [list.data, status]);

  const columns = useMemo<Columns<AgentRow>>(
    () => [
      {
        id: "name",
        header: "Name",
        accessorFn: (a) => a.name,
        cell: ({ row }) => (
          <div className="min-w-0">
            <Link href={`/fleet/agents/${row.original.id}`} className={`${linkClass} whitespace-nowrap`}>
              {row.original.name}
            </Link>
            {row.original.version && (
              <div className="font-mono text-xs text-slate-500" title="agent version">
                <span className="sr-only">version </span>v{row.original.version.replace(/^v/, "")}
              </div>
            )}
          </div>
        ),
      },
      {
        id: "status",
        header: "Status",
        // Agents raising alarms sort first within their status.
        accessorFn: (a) => STATUSES.indexOf(a.status) * 2 + (a.alarms.length > 0 ? 0 : 1),
        cell: ({ row }) => (
          <div className="flex flex-wrap items-center gap-1">
            <AgentStatusBadge status={row.original.status} />
            {row.original.alarms.map((alarm) => (
              <AgentAlarmBadge key={alarm.code} alarm={alarm} />
            ))}
          </div>
        ),
      },
      {
        id: "address",
        header: "Address",
        accessorFn: (a) => a.address ?? a.remoteAddress,
        cell: ({ row }) => {
          const a = row.original;
          if (!a.address && !a.remoteAddress) return <span className="text-slate-400">—</span>;
          return (
            <code className="font-mono text-xs whitespace-nowrap" title={a.remoteAddress ? `heartbeats come from ${a.remoteAddress}` : undefined}>
              {a.address ?? <span className="text-slate-500">from {a.remoteAddress}</span>}
            </code>
          );
        },
      },
      {
        id: "lastHeartbeatAt",
        header: "Heartbeat",
        accessorFn: (a) => a.lastHeartbeatAt,
        cell: ({ row }) => <RelativeTime value={row.original.lastHeartbeatAt} empty="never" />,
      },
      {
        id: "revision",
        header: "Config",
        accessorFn: (a) => (a.status === "revoked" ? Number.MAX_SAFE_INTEGER : (revisionLag(a, current) ?? Number.MAX_SAFE_INTEGER - 1)),
        cell: ({ row }) => (row.original.status === "revoked" ? <span className="text-slate-400">—</span> : <RevisionBadge agent={row.original} current={current} />),
      },
      {
        id: "backends",
        header: "Backends",
        accessorFn: (a) => {
          const h = backendHealth(a.backends);
          return h.total === 0 ? -1 : h.healthy / h.total;
        },
        cell: ({ row }) => <BackendHealthBadge backends={row.original.backends} />,
      },
      {
        id: "load",
        header: "Load",
        accessorFn: (a) => a.counters.queriesPerSecond ?? -1,
        cell: ({ row }) => <Load agent={row.original} />,
      },
    ],
    [current],
  );

  const registerButton = mayCreate ? (
    <button
      type="button"
      className={btn.primary}
      onClick={() => {
        setCreated(null);
        setCreating(true);
      }}
    >
      <Plus aria-hidden="true" className="size-4" />
      Register agent
    </button>
  ) : null;

  const counts = list.data ? agentCounts(list.data.agents) : null;

  return (
    <div className="space-y-5">
      <PageHeader
        title="Agents"
        description={
          <>
            The proxies applications connect to. Each polls this console for the mesh configuration and reports its health every 10
            seconds.
            {counts && counts.total > 0 && (
              <>
                {" "}
                <strong className="font-semibold text-slate-900">
                  {counts.up} of {counts.total}
                </strong>{" "}
                up; the mesh is at revision <strong className="font-semibold text-slate-900">{current}</strong>.
              </>
            )}
          </>
        }
        actions={creating ? null : registerButton}
      />
      {created && <RegisteredAgent name={created.name} token={created.token} onDone={() => setCreated(null)} />}
      {creating && (
        <RegisterAgent
          onCancel={() => setCreating(false)}
          onCreated={(c) => {
            setCreating(false);
            setCreated(c);
          }}
        />
      )}
      <DataTable
        label="Agents"
        noun="agents"
        data={rows}
        isLoading={list.isLoading}
        error={list.error}
        columns={columns}
        defaultSort={{ id: "name" }}
        getRowId={(a) => a.id}
        rowClassName={(a) => (a.status === "revoked" ? "text-slate-500 [&_td]:text-slate-500" : "")}
        filtersActive={!!status}
        onClearFilters={() => set({ status: null })}
        toolbar={
          <div className="w-full sm:w-44">
            <label htmlFor={statusFilterId} className="mb-1 block text-sm font-medium text-slate-800">
              Status
            </label>
            <select id={statusFilterId} className={inputClass} value={status} onChange={(e) => set({ status: e.target.value || null })}>
              <option value="">any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {AGENT_STATUS_LABEL[s]}
                </option>
              ))}
            </select>
          </div>
        }
        searchText={(a) => [a.name, a.version ?? "", a.address ?? "", a.remoteAddress ?? "", AGENT_STATUS_LABEL[a.status], a.tokenPrefix, ...a.alarms.map((x) => x.code)].join(" ")}
        empty={{
          title: "No agents yet",
          icon: <RadioTower aria-hidden="true" className="size-8 text-slate-400" />,
          description: (
            <>
              An agent is the dbmesh proxy that runs next to your applications: they connect to it on port 6432 as if it were
              PostgreSQL, and it routes every query to the right backend under the mesh&apos;s traffic strategies and access rules.
              {mayCreate
                ? " Register one to get its token, then start the agent with that token: it fetches its configuration from this console and appears here."
                : " An ADMIN or DBA registers agents; ask one of them to set one up."}
            </>
          ),
          action: creating ? undefined : registerButton,
        }}
      />
    </div>
  );
}

function RegisterAgent({ onCancel, onCreated }: { onCancel: () => void; onCreated: (c: { name: string; token: string }) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<z.input<typeof AgentCreate>, unknown, z.output<typeof AgentCreate>>({
    resolver: zodResolver(AgentCreate),
    defaultValues: { name: "" },
  });
  const create = useMutation(trpc.agent.create.mutationOptions());
  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      const res = await create.mutateAsync(values);
      await queryClient.invalidateQueries(trpc.agent.list.pathFilter());
      onCreated({ name: res.name, token: res.token });
    } catch (err) {
      setFormError(applyServerError(err, form.setError, ["name"]));
    }
  });
  return (
    <Section title="Register an agent" description="Name it after where it runs; it gets its own token.">
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-4">
          <TextField
            name="name"
            label="Name"
            autoComplete="off"
            spellCheck={false}
            className="sm:max-w-sm"
            hint="Lowercase letters, digits, '-' and '_', e.g. “app-host-1”."
            autoFocus
          />
          {formError && <Alert tone="error">{formError}</Alert>}
          <div className="flex gap-2">
            <button type="submit" className={btn.primary} disabled={form.formState.isSubmitting}>
              Register agent
            </button>
            <button type="button" className={btn.secondary} onClick={onCancel}>
              Cancel
            </button>
          </div>
        </form>
      </FormProvider>
    </Section>
  );
}
