import { dropDecommissioned as drop } from "@dbmesh/api/self-service";
import { defineJob } from "../job";
import { provisionDeps } from "./run-database-request";

/** Drops a decommissioned database once its grace period is over (or a DBA cut it short). */
export const dropDecommissioned = defineJob({
  queue: "provision",
  name: "drop-decommissioned",
  async handle(ctx) {
    await drop(provisionDeps(ctx), ctx.payload.requestId);
  },
});
