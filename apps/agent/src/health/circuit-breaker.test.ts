import { describe, expect, it } from "vitest";
import { BackendHealth } from "./backend-health";
import { CircuitBreaker, type CircuitState } from "./circuit-breaker";

function clocked(opts: { failureThreshold?: number; openMs?: number } = {}) {
  let t = 1_000_000;
  const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 5000, ...opts, now: () => t });
  return { breaker, advance: (ms: number) => (t += ms) };
}

// Each step: an action, then the state and canTry() answer expected after it ("try" is canTry() itself).
type Step = ["fail" | "ok" | "try" | `wait ${number}`, CircuitState, boolean?];

const scenarios: { why: string; steps: Step[] }[] = [
  {
    why: "opens after threshold consecutive failures",
    steps: [
      ["fail", "closed"],
      ["fail", "closed"],
      ["fail", "open"],
      ["try", "open", false],
    ],
  },
  {
    why: "a success resets the count",
    steps: [
      ["fail", "closed"],
      ["fail", "closed"],
      ["ok", "closed"],
      ["fail", "closed"],
      ["fail", "closed"],
      ["fail", "open"],
    ],
  },
  {
    why: "stays open until openMs have passed, then allows one trial",
    steps: [
      ["fail", "closed"],
      ["fail", "closed"],
      ["fail", "open"],
      ["wait 4999", "open"],
      ["try", "open", false],
      ["wait 1", "half_open"],
      ["try", "half_open", true],
      ["try", "half_open", false],
      ["try", "half_open", false],
    ],
  },
  {
    why: "a successful trial closes it",
    steps: [
      ["fail", "closed"],
      ["fail", "closed"],
      ["fail", "open"],
      ["wait 5000", "half_open"],
      ["try", "half_open", true],
      ["ok", "closed"],
      ["try", "closed", true],
      ["try", "closed", true],
    ],
  },
  {
    why: "a failed trial opens it for another openMs",
    steps: [
      ["fail", "closed"],
      ["fail", "closed"],
      ["fail", "open"],
      ["wait 5000", "half_open"],
      ["try", "half_open", true],
      ["fail", "open"],
      ["wait 4999", "open"],
      ["try", "open", false],
      ["wait 1", "half_open"],
      ["try", "half_open", true],
    ],
  },
  {
    why: "after closing again, it takes threshold fresh failures to open",
    steps: [
      ["fail", "closed"],
      ["fail", "closed"],
      ["fail", "open"],
      ["wait 5000", "half_open"],
      ["try", "half_open", true],
      ["ok", "closed"],
      ["fail", "closed"],
      ["fail", "closed"],
      ["fail", "open"],
    ],
  },
  {
    why: "late outcomes while open change nothing",
    steps: [
      ["fail", "closed"],
      ["fail", "closed"],
      ["fail", "open"],
      ["wait 3000", "open"],
      ["ok", "open"],
      ["fail", "open"],
      ["wait 2000", "half_open"], // the late failure did not restart the wait
    ],
  },
  {
    why: "a trial never reported does not wedge it: another is allowed after openMs",
    steps: [
      ["fail", "closed"],
      ["fail", "closed"],
      ["fail", "open"],
      ["wait 5000", "half_open"],
      ["try", "half_open", true],
      ["wait 4999", "half_open"],
      ["try", "half_open", false],
      ["wait 1", "half_open"],
      ["try", "half_open", true],
    ],
  },
];

describe("CircuitBreaker", () => {
  it.each(scenarios)("$why", ({ steps }) => {
    const { breaker, advance } = clocked();
    for (const [i, [action, state, allowed]] of steps.entries()) {
      let answer: boolean | undefined;
      if (action === "fail") breaker.onFailure();
      else if (action === "ok") breaker.onSuccess();
      else if (action === "try") answer = breaker.canTry();
      else advance(Number(action.slice(5)));
      expect(breaker.state, `state after step ${i} (${action})`).toBe(state);
      if (allowed !== undefined) expect(answer, `canTry at step ${i}`).toBe(allowed);
    }
  });

  it("starts closed and defaults to 3 failures and 5 s", () => {
    let t = 0;
    const breaker = new CircuitBreaker({ now: () => t });
    expect(breaker.state).toBe("closed");
    breaker.onFailure();
    breaker.onFailure();
    expect(breaker.state).toBe("closed");
    breaker.onFailure();
    expect(breaker.state).toBe("open");
    t += 4999;
    expect(breaker.canTry()).toBe(false);
    t += 1;
    expect(breaker.canTry()).toBe(true);
  });

  it("with a threshold of 1, one failure opens it", () => {
    const { breaker } = clocked({ failureThreshold: 1 });
    breaker.onFailure();
    expect(breaker.state).toBe("open");
  });
});

describe("BackendHealth with tuned breaker settings", () => {
  it("ejects after the configured number of failures", () => {
    const strict = new BackendHealth({ failureThreshold: 1, openMs: 60_000 });
    strict.recordFailure("connection refused");
    expect(strict.healthy).toBe(false);
    const lenient = new BackendHealth();
    lenient.recordFailure("connection refused");
    expect(lenient.healthy).toBe(true);
  });
});
