import { handleAgentAudit } from "@dbmesh/api/server";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export function POST(req: Request) {
  return handleAgentAudit(req);
}
