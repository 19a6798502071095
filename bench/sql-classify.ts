// What does the agent pay per statement for SQL analysis? Times `analyze()` on a cache hit and on a miss
// (PostgreSQL's parser in WASM + the tree walk) for a simple SELECT and a 3-table join, side by side in one
// run. A hit on the very same string object is the best case; "decode + hit" decodes the text from bytes
// first, as the agent does for each Query message (so V8 must hash a new string). Prints the figures last,
// as JSON.
//   npx tsx bench/sql-classify.ts
import { loadSqlAnalyzer } from "../packages/sql/src/index";

const SIMPLE = "SELECT id, name, email FROM users WHERE id = $1";
const JOIN = `SELECT o.id, o.total, c.name, i.sku, i.qty
FROM orders o
JOIN customers c ON c.id = o.customer_id
JOIN order_items i ON i.order_id = o.id
WHERE o.created_at > $1 AND c.region = $2
ORDER BY o.created_at DESC LIMIT 50`;

const ROUNDS = 7;

/** Median over rounds of ns per call. `sink` keeps the calls from being optimized away. */
let sink = 0;
function nsPerCall(iterations: number, fn: (i: number) => number): number {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) sink += fn(i); // warm up
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += fn(i);
    samples.push(Number(process.hrtime.bigint() - t0) / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(ROUNDS / 2)]!;
}

const cached = await loadSqlAnalyzer();
const uncached = await loadSqlAnalyzer({ cacheEntries: 0 });

const HITS = 2_000_000;
const MISSES = 20_000;
const FRESH = 200_000;

const result: Record<string, number> = {};
for (const [label, sql] of [
  ["simple", SIMPLE],
  ["join", JOIN],
] as const) {
  cached.analyze(sql);
  const hit = nsPerCall(HITS, () => cached.analyze(sql).statements);
  const miss = nsPerCall(MISSES, () => uncached.analyze(sql).statements);
  // As the agent gets it: a new string decoded from the message bytes, whose hash V8 has not computed yet.
  const bytes = Buffer.from(sql);
  const decode = nsPerCall(FRESH, () => bytes.toString("utf8", 0, bytes.length).length);
  const decodedHit = nsPerCall(FRESH, () => cached.analyze(bytes.toString("utf8", 0, bytes.length)).statements);
  result[`hit_ns_${label}`] = Math.round(hit * 10) / 10;
  result[`decode_ns_${label}`] = Math.round(decode * 10) / 10;
  result[`decode_and_hit_ns_${label}`] = Math.round(decodedHit * 10) / 10;
  result[`miss_ns_${label}`] = Math.round(miss);
  console.log(
    `${label.padEnd(6)} (${sql.length} chars): hit ${hit.toFixed(1)} ns | decode ${decode.toFixed(1)} ns, decode + hit ${decodedHit.toFixed(1)} ns | miss ${(miss / 1000).toFixed(1)} µs`,
  );
}
result.miss_over_hit_simple = Math.round(result.miss_ns_simple! / result.hit_ns_simple!);
result.miss_over_hit_join = Math.round(result.miss_ns_join! / result.hit_ns_join!);
if (sink === -1) console.log(sink);
console.log(JSON.stringify(result));
