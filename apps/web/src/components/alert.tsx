import { AlertTriangle, CheckCircle2, Info, XCircle } from "lucide-react";
import type { ReactNode } from "react";

const tones = {
  error: { cls: "border-red-200 bg-red-50 text-red-900", Icon: XCircle },
  success: { cls: "border-green-200 bg-green-50 text-green-900", Icon: CheckCircle2 },
  warning: { cls: "border-amber-200 bg-amber-50 text-amber-900", Icon: AlertTriangle },
  info: { cls: "border-sky-200 bg-sky-50 text-sky-900", Icon: Info },
} as const;

/** A message block. Errors are announced (role=alert); the rest politely (role=status). */
export function Alert({
  tone,
  title,
  children,
  className = "",
}: {
  tone: keyof typeof tones;
  title?: string;
  children?: ReactNode;
  className?: string;
}) {
  const { cls, Icon } = tones[tone];
  return (
    <div role={tone === "error" ? "alert" : "status"} className={`flex gap-2 rounded-md border px-3 py-2 text-sm ${cls} ${className}`}>
      <Icon aria-hidden="true" className="mt-0.5 size-4 shrink-0" />
      <div className="min-w-0 break-words">
        {title && <p className="font-semibold">{title}</p>}
        {children}
      </div>
    </div>
  );
}
