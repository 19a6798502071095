import type { Db } from "@dbmesh/db";
import type { Context } from "../../context";

/** The worker's identity in the audit log: jobs act for the system, naming who asked in the row. */
export function workerContext(db: Db): Pick<Context, "db" | "actor" | "ip"> {
  return {
    db,
    ip: null,
    actor: { kind: "system", userId: "worker", email: "worker@dbmesh", name: "dbmesh worker", role: "ADMIN", mfaSatisfied: true },
  };
}

export interface WorkerDeps {
  db: Db;
  /** Decrypts endpoint passwords; absent only where no endpoint has one. */
  secretKey: string | undefined;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}
