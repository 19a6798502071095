// The schema pipeline, as the worker uses it (the console reaches it through the tRPC routers).
export { runChecks } from "./run-checks";
export { runStage, changeKeyOf, giveUpStage } from "./run-stage";
export { detectDrift } from "./drift";
export { closeSchemaQueues } from "./enqueue";
export { describeSchema, HISTORY_TABLE } from "./describe-schema";
export { dryRun, type DryRunResult } from "./dry-run";
export { applyStatements, readTargetHistory, StageFailure, TargetBusy, type StatementOutput } from "./apply-statements";
export { lintChangeSql } from "./lint";
export type { WorkerDeps } from "./system-actor";
