import type { Socket } from "node:net";
import type pg from "pg";
import { parseErrorFields } from "../pg/errors";

// A pg client's socket taken over after pg did the startup and authentication: the test writes raw frontend
// messages and reads backend message types, errors and ReadyForQuery counts back.

export interface RawClient {
  /** The client's socket (its local port names it on the agent's side). */
  readonly socket: Socket;
  /** ReadyForQuery and ErrorResponse messages received since the take-over. */
  readonly received: { ready: number; errors: number };
  /** Writes the messages and resolves once `readyForQueries` ReadyForQuery arrived (5 s at most). */
  exchange(messages: Buffer[], readyForQueries: number): Promise<{ types: string[]; errors: Record<string, string>[] }>;
  /** Writes the messages without waiting for anything. */
  send(messages: Buffer[]): void;
  close(): void;
}

export function takeOver(c: pg.Client): RawClient {
  const socket = (c as unknown as { connection: { stream: Socket } }).connection.stream;
  socket.removeAllListeners("data");
  const received = { ready: 0, errors: 0 };
  let pending = Buffer.alloc(0);
  let waiter: { ready: number; types: string[]; errors: Record<string, string>[]; done: () => void } | null = null;
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      const length = pending.readInt32BE(1);
      if (pending.length < length + 1) break;
      const type = String.fromCharCode(pending[0] as number);
      const body = pending.subarray(5, length + 1);
      pending = pending.subarray(length + 1);
      if (type === "Z") received.ready++;
      if (type === "E") received.errors++;
      if (waiter === null) continue;
      waiter.types.push(type);
      if (type === "E") waiter.errors.push(parseErrorFields(body));
      if (type === "Z" && --waiter.ready === 0) waiter.done();
    }
  });
  return {
    socket,
    received,
    exchange(messages, readyForQueries) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no ReadyForQuery in time")), 5_000);
        const w = { ready: readyForQueries, types: [] as string[], errors: [] as Record<string, string>[], done: () => {} };
        w.done = () => {
          clearTimeout(timer);
          waiter = null;
          resolve({ types: w.types, errors: w.errors });
        };
        waiter = w;
        socket.write(Buffer.concat(messages));
      });
    },
    send(messages) {
      for (const m of messages) socket.write(m);
    },
    close: () => socket.destroy(),
  };
}
