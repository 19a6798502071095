import { randomInt } from "node:crypto";

// Clients get cancel keys the agent issued, never a backend's: a key is only meaningful to this agent, and it
// is forwarded to whichever server the session holds at the moment the cancel arrives.

export interface Cancellable {
  readonly secretKey: number;
  cancelRunning(): void;
}

export class CancelRegistry {
  private readonly byProcessId = new Map<number, Cancellable>();

  /** A fresh, unused process id and a random secret. */
  issue(): { processId: number; secretKey: number } {
    let processId: number;
    do processId = randomInt(1, 0x7fffffff);
    while (this.byProcessId.has(processId));
    return { processId, secretKey: randomInt(-0x80000000, 0x7fffffff) };
  }

  register(processId: number, session: Cancellable): void {
    this.byProcessId.set(processId, session);
  }

  unregister(processId: number, session: Cancellable): void {
    if (this.byProcessId.get(processId) === session) this.byProcessId.delete(processId);
  }

  /** True when the key matched a session (which then forwarded the cancel if it had something running). */
  cancel(processId: number, secretKey: number): boolean {
    const session = this.byProcessId.get(processId);
    if (session === undefined || session.secretKey !== secretKey) return false;
    session.cancelRunning();
    return true;
  }
}
