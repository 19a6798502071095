import { AlertTriangle, Ban, CheckCircle2, Circle, Minus, XCircle } from "lucide-react";
import type { RouterOutputs } from "@/trpc/types";
import { StatusBadge } from "./status-badge";

export type AgentRow = RouterOutputs["agent"]["list"]["agents"][number];
export type AgentStatus = AgentRow["status"];

/** Agents report every 10 s; pages follow closely enough to watch one come up. */
export const AGENT_REFRESH_MS = 5_000;

export const AGENT_STATUS_LABEL: Record<AgentStatus, string> = {
  up: "up",
  down: "down",
  never_seen: "never seen",
  revoked: "revoked",
};

export type AgentAlarm = AgentRow["alarms"][number];

/** What each alarm code means, in a few words (the agent's message carries the details). */
export const AGENT_ALARM_LABEL: Record<string, string> = {
  audit_dropping: "audit events dropped",
};

/** An alarm the agent raised in its last heartbeat: red, with a warning sign, its message on hover. */
export function AgentAlarmBadge({ alarm }: { alarm: AgentAlarm }) {
  const label = AGENT_ALARM_LABEL[alarm.code] ?? alarm.code.replace(/_/g, " ");
  return (
    <span title={`${alarm.message} (since ${new Date(alarm.since).toLocaleString()})`}>
      <StatusBadge tone="danger" icon={AlertTriangle} label={label} ariaLabel={`alarm: ${alarm.message}`} />
    </span>
  );
}

/** Up green with a check, down red with a cross, never seen and revoked grey. */
export function AgentStatusBadge({ status }: { status: AgentStatus }) {
  switch (status) {
    case "up":
      return <StatusBadge tone="success" icon={CheckCircle2} label="up" ariaLabel="up: heartbeats arriving" />;
    case "down":
      return <StatusBadge tone="danger" icon={XCircle} label="down" ariaLabel="down: no heartbeat for over 35 seconds" />;
    case "never_seen":
      return <StatusBadge tone="neutral" icon={Circle} label="never seen" ariaLabel="never seen: no heartbeat yet" />;
    case "revoked":
      return <StatusBadge tone="neutral" icon={Ban} label="revoked" ariaLabel="revoked: its token no longer works" />;
  }
}

/** How far the agent's applied config is behind the mesh: "up to date" or "behind by N". */
export function revisionLag(agent: Pick<AgentRow, "appliedRevision" | "upToDate">, current: number): number | null {
  if (agent.appliedRevision === null) return null;
  return agent.upToDate ? 0 : Math.max(0, current - agent.appliedRevision);
}

export function RevisionBadge({ agent, current }: { agent: Pick<AgentRow, "appliedRevision" | "upToDate">; current: number }) {
  const lag = revisionLag(agent, current);
  const title = agent.appliedRevision === null ? `no config applied yet; the mesh is at revision ${current}` : `applied revision ${agent.appliedRevision}; the mesh is at revision ${current}`;
  return (
    <span title={title} className="inline-flex items-center gap-1.5">
      {lag === null ? (
        <StatusBadge tone="neutral" icon={Minus} label="no config yet" />
      ) : lag === 0 ? (
        <StatusBadge tone="success" label="up to date" ariaLabel={`up to date (revision ${agent.appliedRevision})`} />
      ) : (
        <StatusBadge tone="warning" label={`behind by ${lag}`} ariaLabel={`behind by ${lag} (applied ${agent.appliedRevision} of ${current})`} />
      )}
    </span>
  );
}

export function backendHealth(backends: AgentRow["backends"]) {
  const healthy = backends.filter((b) => b.healthy).length;
  return { healthy, total: backends.length, unhealthy: backends.length - healthy };
}

/** "3/3 healthy" in green, or "2/3 healthy" in red with the unhealthy count on hover. */
export function BackendHealthBadge({ backends }: { backends: AgentRow["backends"] }) {
  const { healthy, total, unhealthy } = backendHealth(backends);
  if (total === 0) return <span className="text-slate-400">—</span>;
  if (unhealthy === 0) return <StatusBadge tone="success" label={`${healthy}/${total} healthy`} />;
  return (
    <span title={backends.filter((b) => !b.healthy).map((b) => `${b.virtualDatabase} → ${b.backend}: ${b.lastError ?? "unhealthy"}`).join("\n")}>
      <StatusBadge tone="danger" label={`${healthy}/${total} healthy`} ariaLabel={`${healthy}/${total} healthy, ${unhealthy} unhealthy`} />
    </span>
  );
}

/** Pure helper for the overview card and the list header. */
export function agentCounts(agents: readonly Pick<AgentRow, "status">[]) {
  const live = agents.filter((a) => a.status !== "revoked");
  return {
    up: live.filter((a) => a.status === "up").length,
    down: live.filter((a) => a.status === "down").length,
    neverSeen: live.filter((a) => a.status === "never_seen").length,
    total: live.length,
    revoked: agents.length - live.length,
  };
}
