import type { RouterOutputs } from "@/trpc/types";

export type AuditRow = RouterOutputs["audit"]["list"]["items"][number];

/** Who did it: the email when known, else the kind of actor (system, anonymous, token). */
export function AuditActor({ row }: { row: Pick<AuditRow, "actorEmail" | "actorKind"> }) {
  if (row.actorEmail) {
    return (
      <span className="whitespace-nowrap">
        {row.actorEmail}
        {row.actorKind !== "user" && <span className="ml-1 text-xs text-slate-500">({row.actorKind})</span>}
      </span>
    );
  }
  return <span className="text-slate-500 italic">{row.actorKind}</span>;
}

export function AuditObject({ row }: { row: Pick<AuditRow, "objectName" | "objectId"> }) {
  if (!row.objectName && !row.objectId) return <span className="text-slate-400">—</span>;
  return (
    <span>
      {row.objectName && <span className="font-medium">{row.objectName}</span>}
      {row.objectId && row.objectId !== row.objectName && (
        <span className="ml-1 font-mono text-xs text-slate-500">{row.objectId}</span>
      )}
    </span>
  );
}

export function ActionText({ action }: { action: string }) {
  const failed = /failed|throttled|denied/.test(action);
  return <code className={`font-mono text-xs ${failed ? "text-red-700" : "text-slate-800"}`}>{action}</code>;
}
