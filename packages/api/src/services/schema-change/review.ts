import { z } from "zod";
import type { Context } from "../../context";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { mutate } from "../mutation";
import { actorOf, loadFull, type FullChange } from "./change-common";

export const ReviewInput = z.object({
  id: z.string().min(1),
  /** The version the reviewer looked at: a review of an outdated version is refused. */
  version: z.number().int().min(1),
  body: z.string().trim().max(10_000).default(""),
});
export const ApproveInput = ReviewInput.extend({
  /** Required when the checks raised warnings: why they are acceptable. */
  acknowledgement: z.string().trim().max(2_000).optional(),
});

export interface ReviewState {
  approvers: string[];
  /** Reviewers whose latest say on this version is "request changes". */
  changesRequestedBy: string[];
  /** Why approving is not possible right now (empty: it is). */
  approveBlockers: string[];
  warningsNeedAcknowledgement: boolean;
}

/** Who approved the current version, and who still asks for changes (their latest review counts). */
export function reviewState(cr: FullChange, actorUserId?: string): ReviewState {
  const version = cr.versions.find((v) => v.version === cr.currentVersion)!;
  const latestByUser = new Map<string, FullChange["reviews"][number]>();
  for (const r of cr.reviews) if (r.version === cr.currentVersion && r.kind !== "COMMENT") latestByUser.set(r.userId, r);
  const approvers = [...latestByUser.values()].filter((r) => r.kind === "APPROVE").map((r) => r.userEmail);
  const changesRequestedBy = [...latestByUser.values()].filter((r) => r.kind === "REQUEST_CHANGES").map((r) => r.userEmail);
  const blockers: string[] = [];
  if (cr.status === "CLOSED" || cr.status === "DONE") blockers.push(`the change request is ${cr.status.toLowerCase()}`);
  if (actorUserId && actorUserId === cr.authorId) blockers.push("authors never approve their own change");
  if (version.checksStatus === "PENDING" || version.checksStatus === "RUNNING") blockers.push("the checks have not finished yet");
  if (version.checksStatus === "FAILED") blockers.push(`the checks could not run: ${version.checksError ?? "see the worker log"}`);
  if (version.errorCount > 0) blockers.push(`${version.errorCount} check error(s) must be fixed first`);
  if (actorUserId && latestByUser.get(actorUserId)?.kind === "APPROVE") blockers.push("you already approved this version");
  return { approvers, changesRequestedBy, approveBlockers: blockers, warningsNeedAcknowledgement: version.warningCount > 0 };
}

async function addReview(ctx: Context, input: z.infer<typeof ApproveInput>, kind: "APPROVE" | "REQUEST_CHANGES" | "COMMENT") {
  const actor = actorOf(ctx);
  return mutate(ctx, { mesh: false }, async (tx, audit) => {
    const cr = await loadFull(tx, input.id);
    if (input.version !== cr.currentVersion) {
      throw new AppError("CONFLICT", `version ${input.version} is outdated: the change request is at version ${cr.currentVersion}; review that one`);
    }
    if (kind === "COMMENT" && !input.body) throw new AppError("BAD_REQUEST", "write a comment first", { field: "body" });
    if (kind === "REQUEST_CHANGES" && !input.body) throw new AppError("BAD_REQUEST", "say what should change", { field: "body" });
    if (kind === "REQUEST_CHANGES" && actor.userId === cr.authorId) throw new AppError("PRECONDITION_FAILED", "authors cannot request changes on their own change");
    const state = reviewState(cr, actor.userId);
    const version = cr.versions.find((v) => v.version === cr.currentVersion)!;
    if (kind === "APPROVE") {
      if (state.approveBlockers.length) throw new AppError("PRECONDITION_FAILED", `cannot approve: ${state.approveBlockers.join("; ")}`);
      if (state.warningsNeedAcknowledgement && !input.acknowledgement) {
        throw new AppError("BAD_REQUEST", `the checks raised ${version.warningCount} warning(s): acknowledge them with a reason to approve`, { field: "acknowledgement" });
      }
    }
    const review = await tx.changeReview.create({
      data: {
        id: newId("crr"),
        changeRequestId: cr.id,
        version: cr.currentVersion,
        userId: actor.userId,
        userEmail: actor.email,
        userRole: actor.role,
        kind,
        body: input.body,
        acknowledgement: kind === "APPROVE" ? (input.acknowledgement ?? null) : null,
      },
    });
    // The stored status mirrors the reviews so that lists can filter on it.
    const after = reviewState({ ...cr, reviews: [...cr.reviews, review] });
    const status = cr.status === "OPEN" || cr.status === "CHANGES_REQUESTED" ? (after.changesRequestedBy.length ? "CHANGES_REQUESTED" : "OPEN") : cr.status;
    if (status !== cr.status) await tx.changeRequest.update({ where: { id: cr.id }, data: { status } });
    else await tx.changeRequest.update({ where: { id: cr.id }, data: { updatedAt: new Date() } });
    await audit({
      action: `change_request.${kind.toLowerCase()}`,
      objectType: "change_request",
      objectId: cr.id,
      objectName: cr.title,
      after: { version: cr.currentVersion, body: input.body || undefined, acknowledgement: review.acknowledgement ?? undefined, status },
    });
    return { id: review.id, kind, status };
  });
}

export const approveChange = (ctx: Context, input: z.infer<typeof ApproveInput>) => addReview(ctx, input, "APPROVE");
export const requestChanges = (ctx: Context, input: z.infer<typeof ReviewInput>) => addReview(ctx, input, "REQUEST_CHANGES");
export const commentOnChange = (ctx: Context, input: z.infer<typeof ReviewInput>) => addReview(ctx, input, "COMMENT");

