import type { TRPCRouterRecord } from "@trpc/server";
import { exportMeshYaml } from "@dbmesh/mesh";
import { z } from "zod";
import { procedure } from "../trpc";
import { currentMeshRevision } from "../mesh-revision";
import { applyImport, previewImport } from "../services/mesh/import";
import { loadMeshDefinition } from "../services/mesh/snapshot";

const ImportInput = z.object({
  yaml: z.string().min(1, "paste or upload a YAML file").max(5_000_000, "the YAML is larger than 5 MB"),
  prune: z.boolean().default(false),
});

export const meshRouter = {
  overview: procedure.query(async ({ ctx }) => {
    const [revision, environments, endpoints, strategies, virtualDatabases, accessRules, state] = await Promise.all([
      currentMeshRevision(ctx.db),
      ctx.db.environment.count(),
      ctx.db.databaseEndpoint.count(),
      ctx.db.trafficStrategy.count(),
      ctx.db.virtualDatabase.count(),
      ctx.db.accessRule.count(),
      ctx.db.meshState.findUnique({ where: { id: 1 } }),
    ]);
    return { revision, updatedAt: state?.updatedAt ?? null, counts: { environments, endpoints, strategies, virtualDatabases, accessRules } };
  }),
  exportYaml: procedure.query(async ({ ctx }) => {
    const [mesh, revision] = await Promise.all([loadMeshDefinition(ctx.db), currentMeshRevision(ctx.db)]);
    return { yaml: exportMeshYaml(mesh), revision };
  }),
  previewImport: procedure.input(ImportInput).mutation(({ ctx, input }) => previewImport(ctx, input)),
  applyImport: procedure
    .input(ImportInput.extend({ baseRevision: z.number().int().min(0).optional() }))
    .mutation(({ ctx, input }) => applyImport(ctx, input)),
} satisfies TRPCRouterRecord;
