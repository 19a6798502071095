import type { BackupDeps } from "@dbmesh/backup";
import type { Db } from "@dbmesh/db";
import type { JobData, JobName, QueueName } from "@dbmesh/queue";
import type { Job } from "bullmq";
import type { Logger } from "pino";

/** What jobs beyond the database need, parsed once from the worker's environment. */
export interface JobSettings {
  /** Decrypts endpoint passwords (provisioning); null when DBMESH_SECRET_KEY is not set. */
  secretKey: string | null;
  redisUrl: string;
  queuePrefixBase: string;
  /** Crash tests only (DBMESH_PROVISION_PAUSE_AFTER_STEP). */
  provisionPauseAfterStep: string | null;
}

export interface JobContext<P> {
  payload: P;
  job: Job;
  log: Logger;
  db: Db;
  settings: JobSettings;
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
  /**
   * Called once BullMQ gives a job up for good (attempts spent, or stalled too often — a worker
   * killed again and again), so the row it acts on does not stay "running" forever.
   */
  onGiveUp?(ctx: Omit<JobContext<JobData<Q, N>>, "job"> & { error: Error }): Promise<void>;
}

export function defineJob<Q extends QueueName, N extends JobName<Q>>(def: JobDefinition<Q, N>): JobDefinition<Q, N> {
  return def;
}
