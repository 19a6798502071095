import type { Prisma } from "@dbmesh/db";
import type { Context } from "../../context";
import { AppError } from "../../errors";
import { notFound, type Tx } from "../mutation";

/** A change request with everything the review and rollout rules look at. */
export type FullChange = Prisma.ChangeRequestGetPayload<{ include: { versions: true; reviews: true; stages: true } }>;

export async function loadFull(tx: Tx, id: string): Promise<FullChange> {
  const cr = await tx.changeRequest.findUnique({
    where: { id },
    include: { versions: { orderBy: { version: "asc" } }, reviews: { orderBy: { createdAt: "asc" } }, stages: { orderBy: [{ kind: "asc" }, { position: "asc" }, { createdAt: "asc" }] } },
  });
  if (!cr) throw notFound("change request", id);
  return cr;
}

export function actorOf(ctx: Pick<Context, "actor">) {
  if (!ctx.actor) throw new AppError("UNAUTHORIZED", "sign in first");
  return ctx.actor;
}
