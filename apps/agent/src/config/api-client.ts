import type { AuditPostResult } from "../audit/sender";
import { BytesPoster } from "./post-bytes";

// The agent's side of PROTOCOL.md over HTTP: GET /api/agent/v1/config (long-poll), POST /api/agent/v1/heartbeat
// and POST /api/agent/v1/audit.
// Every outcome is a value, never a thrown error, so the loops that call this cannot be broken by the network.
// Config bodies carry backend passwords: nothing here logs them.

export type ConfigPollResult =
  | { kind: "config"; body: unknown; etag: string | null }
  | { kind: "unchanged" }
  | { kind: "unauthorized"; message: string }
  | { kind: "error"; message: string };

export type HeartbeatResult = { ok: true; currentRevision: number | null } | { ok: false; message: string };

export interface AgentApiClientOptions {
  baseUrl: string;
  token: string;
  userAgent: string;
}

export class AgentApiClient {
  /** Audit batches go over node:http (see post-bytes.ts); the rare config and heartbeat requests use fetch. */
  private readonly poster = new BytesPoster();

  constructor(private readonly options: AgentApiClientOptions) {}

  private url(path: string): URL {
    return new URL(path, this.options.baseUrl);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.options.token}`, "user-agent": this.options.userAgent, ...extra };
  }

  /**
   * One long-poll. `revision` is the applied one (null on first start); the server may hold the request up to
   * `waitSeconds` (+10% jitter), so the request gives up a little after that.
   */
  async fetchConfig(input: { revision: number | null; waitSeconds: number; signal?: AbortSignal }): Promise<ConfigPollResult> {
    const url = this.url("/api/agent/v1/config");
    url.searchParams.set("wait", String(input.waitSeconds));
    const headers = this.headers({ accept: "application/json" });
    if (input.revision !== null) headers["if-none-match"] = `"${input.revision}"`;
    const timeout = AbortSignal.timeout(Math.ceil(input.waitSeconds * 1.1 * 1000) + 15_000);
    const signal = input.signal === undefined ? timeout : AbortSignal.any([timeout, input.signal]);
    let res: Response;
    try {
      res = await fetch(url, { headers, signal });
    } catch (err) {
      return { kind: "error", message: `GET ${url.pathname} failed: ${describeFetchError(err)}` };
    }
    try {
      if (res.status === 304) {
        await res.body?.cancel();
        return { kind: "unchanged" };
      }
      if (res.status === 401) return { kind: "unauthorized", message: await errorText(res) };
      if (res.status !== 200) return { kind: "error", message: `GET ${url.pathname} answered ${res.status}: ${await errorText(res)}` };
      const body: unknown = await res.json();
      return { kind: "config", body, etag: res.headers.get("etag") };
    } catch (err) {
      return { kind: "error", message: `GET ${url.pathname}: could not read the answer: ${describeFetchError(err)}` };
    }
  }

  /** POST /api/agent/v1/audit with an already serialized batch (JSON bytes); 2xx is the acknowledgement. */
  async postAudit(body: Buffer | string, signal?: AbortSignal): Promise<AuditPostResult> {
    const url = this.url("/api/agent/v1/audit");
    try {
      const headers = this.headers({ "content-type": "application/json", accept: "application/json" });
      const res = await this.poster.post(url, headers, body, 60_000, signal);
      if (res.status < 200 || res.status > 299) return { ok: false, status: res.status, message: `POST ${url.pathname} answered ${res.status}: ${errorOfText(res.text, res.statusText)}` };
      let accepted = 0;
      try {
        const json = JSON.parse(res.text) as { accepted?: unknown };
        if (typeof json.accepted === "number") accepted = json.accepted;
      } catch {
        // a 2xx is the acknowledgement, whatever its body
      }
      return { ok: true, accepted };
    } catch (err) {
      return { ok: false, status: null, message: `POST ${url.pathname} failed: ${describeFetchError(err)}` };
    }
  }

  /** Closes the kept-alive connection of the audit posts (shutdown). */
  close(): void {
    this.poster.close();
  }

  async postHeartbeat(body: unknown, signal?: AbortSignal): Promise<HeartbeatResult> {
    const url = this.url("/api/agent/v1/heartbeat");
    const timeout = AbortSignal.timeout(10_000);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: this.headers({ "content-type": "application/json", accept: "application/json" }),
        body: JSON.stringify(body),
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
      });
      if (res.status !== 200) return { ok: false, message: `POST ${url.pathname} answered ${res.status}: ${await errorText(res)}` };
      const json = (await res.json()) as { currentRevision?: unknown };
      return { ok: true, currentRevision: typeof json.currentRevision === "number" ? json.currentRevision : null };
    } catch (err) {
      return { ok: false, message: `POST ${url.pathname} failed: ${describeFetchError(err)}` };
    }
  }
}

/** The `error` field of a JSON error body, else the start of the text. */
async function errorText(res: Response): Promise<string> {
  return errorOfText(await res.text().catch(() => ""), res.statusText);
}

function errorOfText(text: string, fallback: string): string {
  try {
    const json = JSON.parse(text) as { error?: unknown };
    if (typeof json.error === "string") return json.error;
  } catch {
    // not JSON
  }
  return text.slice(0, 200) || fallback;
}

function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === "TimeoutError") return "timed out";
  if (err.name === "AbortError") return "aborted";
  // fetch wraps the socket's error in `cause`; node:http throws it as it is.
  const cause = (err as { cause?: { code?: string; message?: string } }).cause ?? (err as { code?: string; message?: string });
  if (cause.code === "ECONNREFUSED") return "connection refused: is the console running?";
  return cause.message ?? err.message;
}
