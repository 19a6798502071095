"use client";

import { PostgreSQL, sql } from "@codemirror/lang-sql";
import { linter, lintGutter, type Diagnostic } from "@codemirror/lint";
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
  marks,
}: {
  value: string;
  onChange?: (v: string) => void;
  label: string;
  readOnly?: boolean;
  minHeight?: string;
  invalid?: boolean;
  describedBy?: string;
  /** Findings to show in the gutter and underline, by 1-based line and column. */
  marks?: readonly (EditorMark & { column?: number })[];
}) {
  const extensions = useMemo(() => {
    const base = [
      sql({ dialect: PostgreSQL }),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": label, ...(describedBy ? { "aria-describedby": describedBy } : {}), ...(invalid ? { "aria-invalid": "true" } : {}) }),
    ];
    if (!marks?.length) return base;
    const diagnostics = (view: EditorView): Diagnostic[] =>
      marks
        .filter((m) => m.line >= 1 && m.line <= view.state.doc.lines)
        .map((m) => {
          const line = view.state.doc.line(m.line);
          const from = Math.min(line.to, line.from + Math.max(0, (m.column ?? 1) - 1));
          return { from, to: line.to > from ? line.to : from, severity: m.severity, message: m.message };
        });
    return [...base, lintGutter(), linter(diagnostics, { delay: 0 })];
  }, [label, describedBy, invalid, marks]);
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
