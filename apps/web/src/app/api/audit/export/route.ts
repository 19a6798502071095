import { handleAuditCsv } from "@dbmesh/api/server";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** The audit log as CSV, with the same filters as the Audit page (`?actor=&action=&objectType=&object=&from=&to=`). */
export function GET(req: Request): Promise<Response> {
  return handleAuditCsv(req);
}
