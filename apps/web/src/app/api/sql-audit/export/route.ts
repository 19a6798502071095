import { handleSqlAuditCsv } from "@dbmesh/api/server";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export function GET(req: Request) {
  return handleSqlAuditCsv(req);
}
