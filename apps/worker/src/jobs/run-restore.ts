import { performRestore } from "@dbmesh/backup";
import { DelayedError } from "bullmq";
import { defineJob } from "../job";
import { delayWhileBusy, requireBackup } from "./backup-helpers";

/** A restore requested in the console: into a new database, or over one after a safety backup. */
export const runRestoreJob = defineJob({
  queue: "restore",
  name: "run-restore",
  async handle(ctx) {
    const out = await performRestore(requireBackup(ctx), ctx.payload.restoreId);
    if (out.kind === "busy") {
      await delayWhileBusy(ctx, out.reason);
      throw new DelayedError();
    }
    return out;
  },
});
