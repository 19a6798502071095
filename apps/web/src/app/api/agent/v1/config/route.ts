import { handleAgentConfig } from "@dbmesh/api/server";

// The agent protocol (apps/agent/PROTOCOL.md): a long-poll, held up to ?wait= seconds.
export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export function GET(req: Request) {
  return handleAgentConfig(req);
}
