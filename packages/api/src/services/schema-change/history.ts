import type { Context } from "../../context";
import { notFound } from "../mutation";

/**
 * A virtual database's schema history: every applied (or rolled back) stage in order — who asked,
 * when, which change and statements — with the schema snapshot taken after it.
 */
export async function schemaHistory(ctx: Context, input: { virtualDatabaseId: string }) {
  const vdb = await ctx.db.virtualDatabase.findUnique({ where: { id: input.virtualDatabaseId } });
  if (!vdb) throw notFound("virtual database", input.virtualDatabaseId);
  const rows = await ctx.db.schemaChangeHistory.findMany({ where: { virtualDatabaseId: vdb.id }, orderBy: { id: "asc" } });
  const stageIds = [...new Set(rows.map((r) => r.stageId))];
  const stages = await ctx.db.changeStage.findMany({ where: { id: { in: stageIds } }, include: { changeRequest: { select: { title: true } } } });
  const snapshots = await ctx.db.schemaSnapshot.findMany({ where: { stageId: { in: stageIds } }, select: { id: true, stageId: true, hash: true, schema: true, createdAt: true } });
  const entries = stageIds.map((stageId) => {
    const stage = stages.find((s) => s.id === stageId)!;
    const statements = rows.filter((r) => r.stageId === stageId);
    const snapshot = snapshots.find((s) => s.stageId === stageId) ?? null;
    return {
      stageId,
      changeRequestId: stage.changeRequestId,
      title: stage.changeRequest.title,
      version: stage.version,
      kind: stage.kind,
      environmentName: stage.environmentName,
      endpointName: stage.endpointName,
      status: stage.status,
      requestedByEmail: stage.requestedByEmail,
      appliedAt: statements.at(-1)?.appliedAt ?? stage.finishedAt,
      statements: statements.map((s) => ({ index: s.statementIndex, statement: s.statement, durationMs: s.durationMs, rowCount: s.rowCount, appliedAt: s.appliedAt })),
      snapshot: snapshot ? { id: snapshot.id, hash: snapshot.hash, schema: snapshot.schema, createdAt: snapshot.createdAt } : null,
    };
  });
  return { virtualDatabase: { id: vdb.id, name: vdb.name }, entries: entries.reverse() };
}
