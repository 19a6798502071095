"use client";

import { Check, Copy } from "lucide-react";
import { useId, useRef, useState } from "react";
import { btn, inputClass } from "./ui";

/**
 * A secret shown once (or a command built around one): selectable text plus a Copy button.
 * `multiline` wraps long values (commands, connection strings) instead of scrolling them sideways.
 */
export function CopyBox({ label, value, multiline = false, hint }: { label: string; value: string; multiline?: boolean; hint?: string }) {
  const id = useId();
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Clipboard API needs a secure context; plain http on a LAN address falls back to selection.
      ref.current?.select();
      document.execCommand("copy");
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-800">
        {label}
      </label>
      <div className={`flex gap-2 ${multiline ? "flex-col items-start sm:flex-row" : ""}`}>
        {multiline ? (
          <textarea
            ref={ref}
            id={id}
            readOnly
            value={value}
            rows={2}
            spellCheck={false}
            aria-describedby={hint ? `${id}-hint` : undefined}
            className={`${inputClass} field-sizing-content min-h-16 resize-none font-mono text-xs break-all`}
            onFocus={(e) => e.currentTarget.select()}
          />
        ) : (
          <input
            ref={ref}
            id={id}
            readOnly
            value={value}
            spellCheck={false}
            aria-describedby={hint ? `${id}-hint` : undefined}
            className={`${inputClass} font-mono`}
            onFocus={(e) => e.currentTarget.select()}
          />
        )}
        <button type="button" className={btn.secondary} onClick={copy}>
          {copied ? <Check aria-hidden="true" className="size-4" /> : <Copy aria-hidden="true" className="size-4" />}
          {copied ? "Copied" : "Copy"}
          <span className="sr-only"> {label}</span>
        </button>
      </div>
      {hint && (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      )}
    </div>
  );
}
