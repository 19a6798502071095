import type pg from "pg";
import type { Context } from "../../context";
import { AppError } from "../../errors";
import { newId } from "../../ids";
import { mutate } from "../mutation";
import { describeSchema } from "./describe-schema";
import { schemaHash, unifiedSchemaDiff } from "./schema-diff";
import { workerContext, type WorkerDeps } from "./system-actor";
import { connectTarget, loadTargetEndpoint } from "./target-db";

/**
 * Compares each target's live schema with its last snapshot (taken after the last change dbmesh
 * applied). A difference opens a drift (or updates the open one); a match closes it.
 */
export async function detectDrift(deps: WorkerDeps, opts: { endpointId?: string } = {}) {
  const { db, log } = deps;
  const ctx = workerContext(db);
  const latest = await db.schemaSnapshot.findMany({
    where: opts.endpointId ? { endpointId: opts.endpointId } : {},
    distinct: ["endpointId"],
    orderBy: [{ endpointId: "asc" }, { createdAt: "desc" }],
  });
  const summary = { checked: 0, drifted: 0, resolved: 0, unreachable: 0 };
  for (const snap of latest) {
    let client: pg.Client | undefined;
    let live: string;
    try {
      const endpoint = await loadTargetEndpoint(db, snap.endpointId);
      client = await connectTarget(endpoint, deps.secretKey, "dbmesh-drift");
      live = await describeSchema(client);
    } catch (err) {
      summary.unreachable++;
      log.warn({ endpointId: snap.endpointId, err: (err as Error).message }, "drift check skipped: target unreachable");
      continue;
    } finally {
      await client?.end().catch(() => {});
    }
    summary.checked++;
    const liveHash = schemaHash(live);
    const open = await db.schemaDrift.findFirst({ where: { endpointId: snap.endpointId, resolvedAt: null } });
    if (liveHash === snap.hash) {
      if (open) {
        summary.resolved++;
        await mutate(ctx, { mesh: false }, async (tx, audit) => {
          await tx.schemaDrift.update({ where: { id: open.id }, data: { resolvedAt: new Date(), lastCheckedAt: new Date() } });
          await audit({ action: "schema_drift.resolve", objectType: "endpoint", objectId: snap.endpointId, objectName: snap.endpointName, after: { driftId: open.id } });
        });
      }
      continue;
    }
    summary.drifted++;
    const diff = unifiedSchemaDiff(snap.schema, live, [`snapshot ${snap.id}`, "live"]);
    if (open && open.liveHash === liveHash) {
      await db.schemaDrift.update({ where: { id: open.id }, data: { lastCheckedAt: new Date() } });
      continue;
    }
    await mutate(ctx, { mesh: false }, async (tx, audit) => {
      if (open) await tx.schemaDrift.update({ where: { id: open.id }, data: { diff, liveHash, snapshotId: snap.id, lastCheckedAt: new Date() } });
      else await tx.schemaDrift.create({ data: { id: newId("drift"), endpointId: snap.endpointId, endpointName: snap.endpointName, snapshotId: snap.id, diff, liveHash } });
      await audit({ action: open ? "schema_drift.update" : "schema_drift.detect", objectType: "endpoint", objectId: snap.endpointId, objectName: snap.endpointName, after: { snapshotId: snap.id, liveHash } });
    });
  }
  log.info(summary, "drift detection done");
  return summary;
}

/** Open drifts, with the side-by-side rows of the snapshot against the live schema. */
export async function listDrift(ctx: Context, input: { includeResolved?: boolean }) {
  const drifts = await ctx.db.schemaDrift.findMany({ where: input.includeResolved ? {} : { resolvedAt: null }, orderBy: { detectedAt: "desc" }, take: 200 });
  return drifts.map((d) => ({ id: d.id, endpointId: d.endpointId, endpointName: d.endpointName, snapshotId: d.snapshotId, diff: d.diff, detectedAt: d.detectedAt, lastCheckedAt: d.lastCheckedAt, resolvedAt: d.resolvedAt }));
}

export async function requestDriftCheck(ctx: Context, enqueue: () => Promise<void>) {
  if (!ctx.actor) throw new AppError("UNAUTHORIZED", "sign in first");
  await mutate(ctx, { mesh: false }, async (_tx, audit) => {
    await audit({ action: "schema_drift.check_request", objectType: "schema_drift", objectName: "all targets" });
  });
  await enqueue();
  return { queued: true };
}


