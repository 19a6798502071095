import { StatusBadge, type StatusTone } from "./status-badge";

export type ChangeStatus = "OPEN" | "CHANGES_REQUESTED" | "ROLLING_OUT" | "DONE" | "FAILED" | "CLOSED";
export type StageStatus = "PENDING" | "SCHEDULED" | "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
export type ChecksStatus = "PENDING" | "RUNNING" | "DONE" | "FAILED";

const CHANGE: Record<ChangeStatus, [StatusTone, string]> = {
  OPEN: ["info", "open"],
  CHANGES_REQUESTED: ["warning", "changes requested"],
  ROLLING_OUT: ["running", "rolling out"],
  DONE: ["success", "done"],
  FAILED: ["danger", "failed"],
  CLOSED: ["neutral", "closed"],
};

const STAGE: Record<StageStatus, [StatusTone, string]> = {
  PENDING: ["neutral", "not started"],
  SCHEDULED: ["neutral", "scheduled"],
  QUEUED: ["neutral", "queued"],
  RUNNING: ["running", "running"],
  SUCCEEDED: ["success", "succeeded"],
  FAILED: ["danger", "failed"],
  CANCELLED: ["neutral", "cancelled"],
};

export function ChangeStatusBadge({ status }: { status: ChangeStatus }) {
  const [tone, label] = CHANGE[status];
  return <StatusBadge tone={tone} label={label} />;
}

export function StageStatusBadge({ status }: { status: StageStatus }) {
  const [tone, label] = STAGE[status];
  return <StatusBadge tone={tone} label={label} ariaLabel={`stage ${label}`} />;
}

export function ChecksBadge({ status, errors, warnings }: { status: ChecksStatus; errors: number; warnings: number }) {
  if (status === "PENDING" || status === "RUNNING") return <StatusBadge tone="running" label="checking" ariaLabel="checks running" />;
  if (status === "FAILED") return <StatusBadge tone="danger" label="checks failed to run" />;
  if (errors > 0) return <StatusBadge tone="danger" label={`${errors} error${errors > 1 ? "s" : ""}`} />;
  if (warnings > 0) return <StatusBadge tone="warning" label={`${warnings} warning${warnings > 1 ? "s" : ""}`} />;
  return <StatusBadge tone="success" label="checks passed" />;
}

export function SeverityBadge({ severity }: { severity: "error" | "warning" | "info" }) {
  const tone: StatusTone = severity === "error" ? "danger" : severity === "warning" ? "warning" : "info";
  return <StatusBadge tone={tone} label={severity} />;
}
