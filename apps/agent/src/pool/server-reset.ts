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
  /** ReadyForQuery still owed for what the client sent before leaving (a COMMIT pipelined with Terminate): awaited first. */
  pending?: number;
}

const RESET_TIMEOUT_MS = 5_000;

export function releaseClean(pool: Pool, server: ServerConnection, plan: ResetPlan): void {
  const pending = plan.pending ?? 0;
  if (!plan.rollback && !plan.discard && pending === 0) {
    pool.release(server, true);
    return;
  }
  let expected = pending;
  let answered = 0;
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
        // An error of the client's own last statements is theirs; only the reset itself must succeed.
        if (type === Backend.ErrorResponse && answered >= pending) failed = true;
        if (type === Backend.ReadyForQuery && answered < pending) {
          // The session's own requests: settle them in its tracker so the server goes back idle.
          answered++;
          server.tracker.ready();
        }
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
  // The session may have paused it (its client was slow); the answers must still arrive.
  if (server.socket.isPaused()) server.socket.resume();
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
