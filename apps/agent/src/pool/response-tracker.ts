// Which ParseComplete / BindComplete / CloseComplete coming back from a server answer messages the agent
// injected itself (and must be swallowed), and which Parses failed. Responses of one kind come back in the
// order their requests were sent, so per kind a counter of sent and of acknowledged messages is enough; only
// the injected or named ones get an entry. After an error the server skips everything up to the next Sync, so
// at each ReadyForQuery the acknowledged counts jump to what had been sent before that Sync, and entries left
// behind are reported as failed. Counters and number arrays only: nothing is allocated per ordinary message.

export class TrackedRequest {
  index = 0;
  constructor(
    /** Drop the acknowledgement: the client never sent this request. */
    readonly swallow: boolean,
    /** Called when the server skipped or refused the request. */
    readonly onFail: (() => void) | null = null,
  ) {}
}

const PARSE = 0;
const BIND = 1;
const CLOSE = 2;

export class ResponseTracker {
  private readonly sent = [0, 0, 0];
  private readonly acked = [0, 0, 0];
  private readonly tracked: TrackedRequest[][] = [[], [], []];
  /** For each Sync/Query/FunctionCall sent and not yet answered: the three `sent` counts at that moment. */
  private readonly marks: number[] = [];

  sentParse(req: TrackedRequest | null = null): void {
    this.record(PARSE, req);
  }
  sentBind(req: TrackedRequest | null = null): void {
    this.record(BIND, req);
  }
  sentClose(req: TrackedRequest | null = null): void {
    this.record(CLOSE, req);
  }

  /** A message that the server answers with ReadyForQuery was sent. */
  sentSync(): void {
    this.marks.push(this.sent[PARSE] as number, this.sent[BIND] as number, this.sent[CLOSE] as number);
  }

  /** True when this ParseComplete must not reach the client. */
  ackParse(): boolean {
    return this.ack(PARSE);
  }
  ackBind(): boolean {
    return this.ack(BIND);
  }
  ackClose(): boolean {
    return this.ack(CLOSE);
  }

  /** ReadyForQuery arrived: everything sent before its Sync is answered or was skipped. */
  ready(): void {
    if (this.marks.length < 3) return;
    for (let kind = 0; kind < 3; kind++) {
      const mark = this.marks.shift() as number;
      if ((this.acked[kind] as number) < mark) this.acked[kind] = mark;
      const list = this.tracked[kind] as TrackedRequest[];
      while (list.length > 0 && (list[0] as TrackedRequest).index <= (this.acked[kind] as number)) {
        (list.shift() as TrackedRequest).onFail?.();
      }
    }
  }

  /** Nothing in flight: the server can change hands. */
  get idle(): boolean {
    return this.marks.length === 0;
  }

  private record(kind: number, req: TrackedRequest | null): void {
    const n = (this.sent[kind] as number) + 1;
    this.sent[kind] = n;
    if (req !== null) {
      req.index = n;
      (this.tracked[kind] as TrackedRequest[]).push(req);
    }
  }

  private ack(kind: number): boolean {
    const n = (this.acked[kind] as number) + 1;
    this.acked[kind] = n;
    const list = this.tracked[kind] as TrackedRequest[];
    if (list.length === 0) return false;
    const head = list[0] as TrackedRequest;
    if (head.index !== n) return false;
    list.shift();
    return head.swallow;
  }
}
