import { detectDrift, giveUpStage, runChecks, runStage } from "@dbmesh/api/schema-change";
import { defineJob } from "../job";

// The schema pipeline's jobs. Each is idempotent, keyed by its row: the checks replace their
// results; a stage resumes from the target's dbmesh_schema_history; drift compares and records.

export const runChecksJob = defineJob({
  queue: "schema-change",
  name: "run-checks",
  handle: ({ payload, db, log, settings }) => runChecks({ db, log, secretKey: settings.secretKey ?? undefined }, payload.versionId),
});

export const runStageJob = defineJob({
  queue: "schema-change",
  name: "run-stage",
  handle: ({ payload, db, log, settings, job }) =>
    runStage({ db, log, secretKey: settings.secretKey ?? undefined }, payload.stageId, { lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) }),
  async onGiveUp({ payload, db, log, settings, error }) {
    await giveUpStage({ db, log, secretKey: settings.secretKey ?? undefined }, payload.stageId, error.message);
  },
});

export const detectDriftJob = defineJob({
  queue: "schema-change",
  name: "detect-drift",
  handle: ({ payload, db, log, settings }) => detectDrift({ db, log, secretKey: settings.secretKey ?? undefined }, payload),
});
