import { Loader2, Save } from "lucide-react";
import Link from "next/link";
import type { ReactNode } from "react";
import { Alert } from "./alert";
import { btn } from "./ui";

export function FormSection({ title, description, children }: { title: string; description?: ReactNode; children: ReactNode }) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5" aria-label={title}>
      <h2 className="text-base font-semibold text-slate-900">{title}</h2>
      {description && <p className="mt-0.5 text-sm text-slate-600">{description}</p>}
      <div className="mt-4 space-y-4">{children}</div>
    </section>
  );
}

/** Shown on a form the user's role may read but not change; the Save button is disabled too. */
export function ReadOnlyNote({ role, what }: { role: string; what: string }) {
  return (
    <Alert tone="info" className="mb-4">
      Your role ({role}) can view but not change {what}.
    </Alert>
  );
}

export function FormFooter({
  saving,
  readOnly,
  cancelHref,
  formError,
  saveLabel = "Save",
  extra,
}: {
  saving: boolean;
  readOnly: boolean;
  cancelHref: string;
  formError: string | null;
  saveLabel?: string;
  extra?: ReactNode;
}) {
  return (
    <div className="space-y-3">
      {formError && <Alert tone="error" title="Not saved">{formError}</Alert>}
      <div className="flex flex-wrap items-center gap-2">
        <button
          type="submit"
          className={btn.primary}
          disabled={saving || readOnly}
          aria-disabled={saving || readOnly}
          title={readOnly ? "Your role cannot change this" : undefined}
        >
          {saving ? <Loader2 aria-hidden="true" className="size-4 animate-spin" /> : <Save aria-hidden="true" className="size-4" />}
          {saveLabel}
        </button>
        <Link href={cancelHref} className={btn.secondary}>
          {readOnly ? "Back" : "Cancel"}
        </Link>
        {extra}
      </div>
    </div>
  );
}
