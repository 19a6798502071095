import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

// POST of an already serialized body over node:http, for the audit batches: up to 4 MiB, several times a second
// under load. With fetch (undici) the agent ran about one full mark-compact GC per batch at -c 8 (21-61 in a
// bench:proxy run of 6 s per target, against 5 with sending switched off, 2 with node:http): its body and stream
// machinery leaves old-space garbage for every request, and the agent's heap is small, so V8 collected it again
// and again. node:http writes the bytes as they are.

export interface PostBytesResult {
  status: number;
  /** The status line's reason phrase (`Bad Gateway`), for messages when the answer has no body. */
  statusText: string;
  /** The start of the answer's body (up to MAX_ANSWER_BYTES), decoded as UTF-8. */
  text: string;
}

/** The acknowledgement is a small JSON object; more than this of an answer is not read. */
const MAX_ANSWER_BYTES = 64 * 1024;

export class BytesPoster {
  /** One kept-alive connection is enough: batches are sent one at a time. */
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 1 });

  /**
   * Sends `body` and resolves with the status and the answer's text, once the request is done with `body` (the
   * caller may then reuse it). Rejects on a network error, after `timeoutMs` (an Error named TimeoutError) or
   * when `signal` aborts (AbortError); then the socket may still hold `body` for a while: do not reuse it.
   */
  post(url: URL, headers: Record<string, string>, body: Buffer | string, timeoutMs: number, signal?: AbortSignal): Promise<PostBytesResult> {
    const https = url.protocol === "https:";
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, {
        method: "POST",
        agent: https ? this.httpsAgent : this.httpAgent,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        signal,
      });
      const timer = setTimeout(() => {
        const err = new Error(`no answer within ${timeoutMs} ms`);
        err.name = "TimeoutError";
        req.destroy(err);
      }, timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      // The answer can come before the whole body was written out (a server that refuses early): resolve when
      // both happened, so that the body is no longer in the socket's hands.
      let answer: PostBytesResult | null = null;
      let flushed = false;
      // The timeout runs until then: a body the server never takes keeps the post waiting at most that long.
      const settle = () => {
        if (answer === null || !flushed) return;
        clearTimeout(timer);
        resolve(answer);
      };
      req.once("finish", () => {
        flushed = true;
        settle();
      });
      // Closed: the socket let go of the body either way (written, or its writes cancelled).
      req.once("close", () => {
        flushed = true;
        if (answer !== null) settle();
        else fail(new Error("the connection closed without an answer"));
      });
      // `on`, not `once`: a second error event without a listener would crash the agent.
      req.on("error", fail);
      req.once("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on("error", fail);
        res.once("end", () => {
          answer = { status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", text: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString("utf8") };
          settle();
        });
      });
      req.end(body);
    });
  }

  /** Closes the kept-alive connections (shutdown). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
