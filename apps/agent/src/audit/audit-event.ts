// One SQL audit event, exactly as POST /api/agent/v1/audit takes it (PROTOCOL.md). The id is assigned when the
// event is written to the spool.

export interface AuditTable {
  schema: string | null;
  name: string;
  operation: string;
}

export interface AuditEvent {
  id: string;
  occurredAt: string;
  virtualDatabase: string;
  credential: string;
  clientAddress: string | null;
  applicationName: string | null;
  statement: string;
  fingerprint: string;
  kind: string;
  tables: readonly AuditTable[];
  decision: "allowed" | "denied";
  rule: string | null;
  backend: string | null;
  durationUs: number | null;
  rows: number | null;
  sqlstate: string | null;
}

/** The control plane refuses longer statement texts. */
export const MAX_STATEMENT_CHARS = 100_000;
