import type { Db } from "@dbmesh/db";
import type { JobData, JobName, QueueName } from "@dbmesh/queue";
import type { Job } from "bullmq";
import type { Logger } from "pino";

export interface JobContext<P> {
  payload: P;
  job: Job;
  log: Logger;
  db: Db;
  /** Decrypts endpoint passwords (schema-change jobs); undefined when the worker was started without it. */
  secretKey: string | undefined;
}

/** A job handler. It must be idempotent: BullMQ delivers at least once (a crash means a rerun). */
export interface JobDefinition<Q extends QueueName = QueueName, N extends JobName<Q> = JobName<Q>> {
  queue: Q;
  name: N;
  handle(ctx: JobContext<JobData<Q, N>>): Promise<unknown>;
  /**
   * Called once BullMQ gives a job up for good (attempts spent, or stalled too often — a worker
   * killed again and again), so the row it acts on does not stay "running" forever.
   */
  onGiveUp?(ctx: Omit<JobContext<JobData<Q, N>>, "job"> & { error: Error }): Promise<void>;
}

export function defineJob<Q extends QueueName, N extends JobName<Q>>(def: JobDefinition<Q, N>): JobDefinition<Q, N> {
  return def;
}
