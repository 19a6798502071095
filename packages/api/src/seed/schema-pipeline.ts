import type { Context } from "../context";
import { mutate } from "../services/mutation";

/** The demo environments' rollout order: dev → staging → prod. Only fills stages still at 0. */
const DEMO_STAGES: Record<string, number> = { dev: 10, staging: 20, prod: 30 };

export async function seedEnvironmentStages(ctx: Context): Promise<number> {
  let changed = 0;
  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    for (const [name, stage] of Object.entries(DEMO_STAGES)) {
      const env = await tx.environment.findUnique({ where: { name } });
      if (!env || env.stage !== 0) continue;
      await tx.environment.update({ where: { id: env.id }, data: { stage } });
      await audit({ action: "environment.set_stage", objectType: "environment", objectId: env.id, objectName: name, before: { stage: 0 }, after: { stage } });
      changed++;
    }
  });
  return changed;
}
