import {
  AlertTriangle,
  Ban,
  CheckCircle2,
  Circle,
  Info,
  Loader2,
  Minus,
  Pencil,
  Plus,
  Trash2,
  XCircle,
  type LucideIcon,
} from "lucide-react";

export type StatusTone = "neutral" | "running" | "success" | "danger" | "warning" | "info";

const tones: Record<StatusTone, { className: string; icon: LucideIcon }> = {
  neutral: { className: "bg-slate-100 text-slate-700 ring-slate-300", icon: Circle },
  running: { className: "bg-indigo-50 text-indigo-700 ring-indigo-300", icon: Loader2 },
  success: { className: "bg-green-50 text-green-800 ring-green-300", icon: CheckCircle2 },
  danger: { className: "bg-red-50 text-red-800 ring-red-300", icon: XCircle },
  warning: { className: "bg-amber-50 text-amber-800 ring-amber-300", icon: AlertTriangle },
  info: { className: "bg-sky-50 text-sky-800 ring-sky-300", icon: Info },
};

/**
 * Status as icon + colour + text, readable in grayscale. The aria-label is the text unless a short
 * text needs more words; it never repeats a form field's name, so `getByLabel("Password")` finds the
 * field, not a "password set" badge in a list.
 */
export function StatusBadge({
  tone,
  label,
  icon,
  ariaLabel,
}: {
  tone: StatusTone;
  label: string;
  icon?: LucideIcon;
  ariaLabel?: string;
}) {
  const t = tones[tone];
  const Icon = icon ?? t.icon;
  return (
    <span
      role="img"
      aria-label={ariaLabel ?? label}
      className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${t.className}`}
    >
      <Icon aria-hidden="true" className={`size-3.5 ${tone === "running" ? "animate-spin" : ""}`} />
      {label}
    </span>
  );
}

export function RoleBadge({ role }: { role: "PRIMARY" | "REPLICA" }) {
  return role === "PRIMARY" ? (
    <StatusBadge tone="info" icon={Pencil} label="primary" ariaLabel="primary (read-write)" />
  ) : (
    <StatusBadge tone="neutral" icon={Circle} label="replica" ariaLabel="replica (read-only)" />
  );
}

export function EffectBadge({ effect }: { effect: "ALLOW" | "DENY" }) {
  return effect === "ALLOW" ? (
    <StatusBadge tone="success" label="ALLOW" />
  ) : (
    <StatusBadge tone="danger" icon={Ban} label="DENY" />
  );
}

export function YesNo({ value, yes = "yes", no = "no" }: { value: boolean; yes?: string; no?: string }) {
  return value ? (
    <StatusBadge tone="success" label={yes} />
  ) : (
    <StatusBadge tone="neutral" icon={Minus} label={no} />
  );
}

export function OpBadge({ op }: { op: "create" | "update" | "delete" | "unchanged" }) {
  switch (op) {
    case "create":
      return <StatusBadge tone="success" icon={Plus} label="create" ariaLabel="will be created" />;
    case "update":
      return <StatusBadge tone="running" icon={Pencil} label="update" ariaLabel="will be updated" />;
    case "delete":
      return <StatusBadge tone="danger" icon={Trash2} label="delete" ariaLabel="will be deleted" />;
    case "unchanged":
      return <StatusBadge tone="neutral" icon={Minus} label="unchanged" ariaLabel="unchanged" />;
  }
}

/** Small grey chip for labels, operations, table patterns. */
export function Chip({ children, title }: { children: React.ReactNode; title?: string }) {
  return (
    <span
      title={title}
      className="inline-flex max-w-full items-center truncate rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700 ring-1 ring-slate-200 ring-inset"
    >
      {children}
    </span>
  );
}

export function Chips({ items, empty = "—" }: { items: string[]; empty?: string }) {
  if (items.length === 0) return <span className="text-slate-400">{empty}</span>;
  return (
    <span className="flex flex-wrap gap-1">
      {items.map((i) => (
        <Chip key={i}>{i}</Chip>
      ))}
    </span>
  );
}
