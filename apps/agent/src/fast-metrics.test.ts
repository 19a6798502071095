import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FastCounter, FastHistogram } from "./fast-metrics";

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30];
const LABELS = ["virtual_database", "backend", "route"] as const;

/** The same events, recorded by prom-client's own metrics and by ours. */
function record(values: readonly number[]) {
  const prom = new Registry();
  const fast = new Registry();
  const pc = new Counter({ name: "q_total", help: "queries", labelNames: LABELS, registers: [prom] });
  const ph = new Histogram({ name: "q_seconds", help: "durations", labelNames: LABELS, buckets: BUCKETS, registers: [prom] });
  const fc = new FastCounter("q_total", "queries", LABELS, [fast]);
  const fh = new FastHistogram("q_seconds", "durations", LABELS, BUCKETS, [fast]);
  values.forEach((v, i) => {
    const route = i % 3 === 0 ? "replica" : "primary";
    const [pcc, phc] = [pc.labels("vdb", "b\"1", route), ph.labels("vdb", "b\"1", route)];
    pcc.inc();
    phc.observe(v);
    fc.labels("vdb", 'b"1', route).inc();
    fh.labels("vdb", 'b"1', route).observe(v);
  });
  // A child looked up but never used shows nowhere, as with prom-client.
  pc.labels("vdb", "idle", "primary");
  ph.labels("vdb", "idle", "primary");
  fc.labels("vdb", "idle", "primary");
  fh.labels("vdb", "idle", "primary");
  return { prom, fast };
}

describe("fast metrics", () => {
  const values = [0, 0.0005, 0.0004, 0.0007, 0.002, 0.03, 0.2, 0.9, 1, 4, 29, 31, 120, 0.00001];

  it("render the same Prometheus text as prom-client's counters and histograms", async () => {
    const { prom, fast } = record(values);
    expect(await fast.metrics()).toBe(await prom.metrics());
  });

  it("give the same JSON as prom-client (which adds empty exemplars)", async () => {
    const { prom, fast } = record(values);
    const withoutExemplars = (json: unknown) => JSON.parse(JSON.stringify(json, (k, v: unknown) => (k === "exemplar" ? undefined : v)));
    expect(withoutExemplars(await fast.getMetricsAsJSON())).toEqual(withoutExemplars(await prom.getMetricsAsJSON()));
  });

  it("render nothing but help and type before the first event, and after a reset", async () => {
    const empty = record([]);
    expect(await empty.fast.metrics()).toBe(await empty.prom.metrics());
    const { prom, fast } = record(values);
    prom.resetMetrics();
    fast.resetMetrics();
    expect(await fast.metrics()).toBe(await prom.metrics());
  });

  it("refuses a wrong number of label values", () => {
    const c = new FastCounter("c_total", "c", ["a", "b"], []);
    expect(() => c.labels("x")).toThrow(/has labels a, b/);
  });
});
