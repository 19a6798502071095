"use client";

import { Check, Copy } from "lucide-react";
import { useId, useRef, useState } from "react";
import { btn, inputClass } from "./ui";

/** A secret shown once: selectable text plus a Copy button. */
export function CopyBox({ label, value }: { label: string; value: string }) {
  const id = useId();
  const ref = useRef<HTMLInputElement>(null);
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
      <div className="flex gap-2">
        <input
          ref={ref}
          id={id}
          readOnly
          value={value}
          className={`${inputClass} font-mono`}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" className={btn.secondary} onClick={copy}>
          {copied ? <Check aria-hidden="true" className="size-4" /> : <Copy aria-hidden="true" className="size-4" />}
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
    </div>
  );
}
