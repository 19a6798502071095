"use client";

import { Trash2 } from "lucide-react";
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { errorInfo } from "@/trpc/errors";
import { Alert } from "./alert";
import { btn } from "./ui";

/** A modal question on the native <dialog>: focus is trapped, Escape cancels. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  tone = "danger",
  busy = false,
  error,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  tone?: "danger" | "primary";
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={onClose}
      className="m-auto w-[calc(100%-2rem)] max-w-md rounded-lg border border-slate-200 bg-white p-0 text-slate-900 shadow-xl"
    >
      {open && (
        <div className="p-5">
          <h2 id={titleId} className="text-base font-semibold">
            {title}
          </h2>
          <div className="mt-2 text-sm text-slate-700">{children}</div>
          {error && (
            <Alert tone="error" className="mt-3">
              {error}
            </Alert>
          )}
          <div className="mt-5 flex justify-end gap-2">
            <button type="button" className={btn.secondary} onClick={onClose} autoFocus>
              Cancel
            </button>
            <button type="button" className={tone === "danger" ? btn.danger : btn.primary} onClick={onConfirm} disabled={busy}>
              {busy ? "Working…" : confirmLabel}
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}

/** "Delete" + a confirmation that names the object; the server's refusal is shown in the dialog. */
export function DeleteButton({
  what,
  consequence,
  onDelete,
  label = "Delete",
  small = false,
}: {
  /** e.g. `endpoint "orders-primary"` */
  what: string;
  consequence?: ReactNode;
  onDelete: () => Promise<unknown>;
  label?: string;
  small?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onDelete();
      setOpen(false);
    } catch (err) {
      setError(errorInfo(err).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className={small ? btn.small : btn.dangerOutline}
        onClick={() => {
          setError(null);
          setOpen(true);
        }}
      >
        <Trash2 aria-hidden="true" className={small ? "size-3.5" : "size-4"} />
        {label}
      </button>
      <ConfirmDialog
        open={open}
        title={`${label} ${what}?`}
        confirmLabel={`Yes, ${label.toLowerCase()}`}
        busy={busy}
        error={error}
        onConfirm={confirm}
        onClose={() => setOpen(false)}
      >
        {consequence ?? "This cannot be undone. The change is recorded in the audit log."}
      </ConfirmDialog>
    </>
  );
}
