import { handleHealth } from "@dbmesh/api/server";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export function GET(): Promise<Response> {
  return handleHealth();
}
