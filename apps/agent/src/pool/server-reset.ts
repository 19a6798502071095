import { query } from "../pg/messages";
import { Backend, TxStatus } from "../pg/protocol";
import type { Pool } from "./pool";
import { scanningOwner, type ServerConnection } from "./server-connection";

// Returns a server to its pool in a clean state once its client is done with it: ROLLBACK when a transaction
// was left open, DISCARD ALL when the client may have changed session state (session pooling, or a pinned
// session under transaction pooling). Anything unexpected, or no answer within the timeout, closes the server
// instead: a pooled connection must never carry one client's state to the next.

export interface ResetPlan {
  rollback: boolean;
  discard: boolean;
}

const RESET_TIMEOUT_MS = 5_000;

export function releaseClean(pool: Pool, server: ServerConnection, plan: ResetPlan): void {
  if (!plan.rollback && !plan.discard) {
    pool.release(server, true);
    return;
  }
  let expected = 0;
  let failed = false;
  let done = false;
  const finish = (reusable: boolean) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (plan.discard && reusable) server.prepared.clear();
    pool.release(server, reusable);
  };
  const owner = scanningOwner(
    {
      onMessage(type, _length, status) {
        if (type === Backend.ErrorResponse) failed = true;
        if (type === Backend.ReadyForQuery && --expected === 0) finish(!failed && status === TxStatus.Idle);
        return false;
      },
      forward() {},
      onProtocolError: () => finish(false),
    },
    () => finish(false),
  );
  const timer = setTimeout(() => finish(false), RESET_TIMEOUT_MS);
  server.attach(owner);
  // Two messages, not one multi-statement query: DISCARD ALL refuses to run inside an implicit transaction.
  if (plan.rollback) {
    expected++;
    server.write(query("ROLLBACK"));
  }
  if (plan.discard) {
    expected++;
    server.write(query("DISCARD ALL"));
  }
}
