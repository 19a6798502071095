import { Backend } from "./protocol";
import { typedMessage } from "./messages";

// ErrorResponse / NoticeResponse. FATAL closes the connection (the caller closes it right after writing);
// ERROR leaves the session usable once a ReadyForQuery follows.

export type ErrorSeverity = "FATAL" | "ERROR";
export type NoticeSeverity = "WARNING" | "NOTICE" | "INFO" | "LOG";

export interface PgErrorFields {
  severity: ErrorSeverity | NoticeSeverity;
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

function fieldsBody(f: PgErrorFields): Buffer {
  const parts: string[] = [`S${f.severity}`, `V${f.severity}`, `C${f.code}`, `M${f.message}`];
  if (f.detail !== undefined) parts.push(`D${f.detail}`);
  if (f.hint !== undefined) parts.push(`H${f.hint}`);
  // Each field is a type byte + C string; the list ends with a lone NUL.
  return Buffer.from(`${parts.join("\0")}\0\0`, "utf8");
}

export function errorResponse(f: PgErrorFields & { severity: ErrorSeverity }): Buffer {
  return typedMessage(Backend.ErrorResponse, fieldsBody(f));
}

export function noticeResponse(f: PgErrorFields & { severity: NoticeSeverity }): Buffer {
  return typedMessage(Backend.NoticeResponse, fieldsBody(f));
}

/** Fields of an ErrorResponse/NoticeResponse body (without the 5-byte header), keyed by field type letter. */
export function parseErrorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length && body[pos] !== 0) {
    const type = String.fromCharCode(body[pos] as number);
    const end = body.indexOf(0, pos + 1);
    if (end === -1) break;
    fields[type] = body.toString("utf8", pos + 1, end);
    pos = end + 1;
  }
  return fields;
}

/** An error a backend sent us (during connect/auth/reset), kept with its SQLSTATE so it can be relayed. */
export class BackendError extends Error {
  readonly code: string;
  constructor(fields: Record<string, string>) {
    super(fields.M ?? "unknown backend error");
    this.name = "BackendError";
    this.code = fields.C ?? "XX000";
  }
}
