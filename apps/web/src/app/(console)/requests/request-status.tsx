import { StatusBadge, type StatusTone } from "@/components/status-badge";

// Neutral while waiting, indigo while a job runs, green when done, red when refused or failed.
const STATUS: Record<string, { tone: StatusTone; label: string }> = {
  PENDING: { tone: "neutral", label: "waiting for review" },
  CHANGES_REQUESTED: { tone: "warning", label: "changes requested" },
  REJECTED: { tone: "danger", label: "rejected" },
  APPROVED: { tone: "running", label: "approved, queued" },
  PROVISIONING: { tone: "running", label: "provisioning" },
  READY: { tone: "success", label: "ready" },
  FAILED: { tone: "danger", label: "failed" },
  DECOMMISSION_SCHEDULED: { tone: "warning", label: "drop scheduled" },
  DECOMMISSIONED: { tone: "neutral", label: "decommissioned" },
};

export function RequestStatus({ status }: { status: string }) {
  const s = STATUS[status] ?? { tone: "neutral" as const, label: status.toLowerCase() };
  return <StatusBadge tone={s.tone} label={s.label} ariaLabel={`status: ${s.label}`} />;
}

export const KIND_LABEL: Record<string, string> = {
  NEW_DATABASE: "new database",
  ACCESS: "access",
  DECOMMISSION: "decommission",
};

export const STATUSES = Object.keys(STATUS);
export const statusLabel = (s: string) => STATUS[s]?.label ?? s;
