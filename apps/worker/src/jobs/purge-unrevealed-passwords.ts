import { purgeUnrevealedPasswords as purge } from "@dbmesh/api/self-service";
import { defineJob } from "../job";

/**
 * Deletes issued self-service passwords never revealed within their window (PASSWORD_REVEAL_WINDOW_HOURS), each
 * with a `credential.reveal_expired` audit event. Idempotent: a retried or doubled run finds nothing more.
 */
export const purgeUnrevealedPasswords = defineJob({
  queue: "maintenance",
  name: "purge-unrevealed-passwords",
  async handle({ db, log }) {
    const result = await purge(db);
    if (result.purged > 0) log.info(result, "purged unrevealed issued passwords");
    return result;
  },
});
