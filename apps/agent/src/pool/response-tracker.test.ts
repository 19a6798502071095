import { expect, test } from "vitest";
import { ResponseTracker, TrackedRequest } from "./response-tracker";

test("swallows exactly the acknowledgements of injected requests, in order", () => {
  const t = new ResponseTracker();
  t.sentParse(); // client's
  t.sentParse(new TrackedRequest(true)); // injected
  t.sentBind();
  t.sentClose(new TrackedRequest(true));
  t.sentParse();
  t.sentSync();
  expect([t.ackParse(), t.ackParse(), t.ackBind(), t.ackClose(), t.ackParse()]).toEqual([false, true, false, true, false]);
  t.ready();
  expect(t.idle).toBe(true);
});

test("after an error the server skips to Sync: unanswered requests are reported failed at ReadyForQuery", () => {
  const t = new ResponseTracker();
  const failed: string[] = [];
  t.sentParse(new TrackedRequest(false, () => failed.push("client parse")));
  t.sentParse(new TrackedRequest(true, () => failed.push("injected parse")));
  t.sentSync();
  // Second cycle pipelined behind the first.
  t.sentParse(new TrackedRequest(true, () => failed.push("next cycle")));
  t.sentSync();
  // The first Parse fails: no ParseComplete at all in cycle 1.
  t.ready();
  expect(failed).toEqual(["client parse", "injected parse"]);
  // Cycle 2's ParseComplete is recognised as the injected one.
  expect(t.ackParse()).toBe(true);
  t.ready();
  expect(failed).toEqual(["client parse", "injected parse"]);
  expect(t.idle).toBe(true);
});
