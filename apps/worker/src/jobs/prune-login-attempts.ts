import { defineJob } from "../job";

/** Keeps login_attempt small: the throttle only reads recent rows. Deleting is naturally idempotent. */
export const pruneLoginAttempts = defineJob({
  queue: "maintenance",
  name: "prune-login-attempts",
  async handle({ payload, db, log }) {
    const cutoff = new Date(Date.now() - payload.maxAgeHours * 60 * 60 * 1000);
    const { count } = await db.loginAttempt.deleteMany({ where: { createdAt: { lt: cutoff } } });
    log.info({ deleted: count, cutoff: cutoff.toISOString() }, "pruned login attempts");
    return { deleted: count };
  },
});
