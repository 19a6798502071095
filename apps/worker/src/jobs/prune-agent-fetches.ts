import { defineJob } from "../job";

/** agent_config_fetch gets a row per long-poll answer; the console only shows the recent ones. */
export const pruneAgentFetches = defineJob({
  queue: "maintenance",
  name: "prune-agent-fetches",
  async handle({ payload, db, log }) {
    const cutoff = new Date(Date.now() - payload.maxAgeHours * 60 * 60 * 1000);
    const { count } = await db.agentConfigFetch.deleteMany({ where: { at: { lt: cutoff } } });
    log.info({ deleted: count, cutoff: cutoff.toISOString() }, "pruned agent config fetches");
    return { deleted: count };
  },
});
