import type { BackupDeps } from "@dbmesh/backup";
import type { Db } from "@dbmesh/db";
import type { JobData, JobName, QueueName } from "@dbmesh/queue";
import type { Job } from "bullmq";
import type { Logger } from "pino";

export interface JobContext<P> {
  payload: P;
  job: Job;
  log: Logger;
  db: Db;
  /** The job's lock token (moveToDelayed needs it). */
  token?: string;
  /** Present when the worker runs backup and restore jobs. */
  backup?: BackupDeps;
}

/** A job handler. It must be idempotent: BullMQ delivers at least once (a crash means a rerun). */
export interface JobDefinition<Q extends QueueName = QueueName, N extends JobName<Q> = JobName<Q>> {
  queue: Q;
  name: N;
  handle(ctx: JobContext<JobData<Q, N>>): Promise<unknown>;
}

export function defineJob<Q extends QueueName, N extends JobName<Q>>(def: JobDefinition<Q, N>): JobDefinition<Q, N> {
  return def;
}
