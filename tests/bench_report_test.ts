import assert from "node:assert/strict";
import { percentile } from "../bench/report.ts";
import { barsSvg, detSvg, histogramSvg } from "../bench/plots.ts";

Deno.test("report: nearest-rank percentiles", () => {
  const x = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
  assert.equal(percentile(x, 50), 5);
  assert.equal(percentile(x, 95), 10);
  assert.equal(percentile(x, 0), 1);
  assert.equal(percentile([42], 95), 42);
});

/** Every opened tag is closed (a cheap well-formedness check for the generated SVG). */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2]);
  }
  return stack.length === 0;
}

Deno.test("plots: histogram bins every value and marks p50/p95", () => {
  const svg = histogramSvg([100, 110, 120, 130, 400], "latency (ms)", [120, 400]);
  assert.ok(svg.startsWith("<svg") && balanced(svg));
  const heights = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"/g)]
    .map((m) => Number(m[1]));
  assert.equal(heights.length, 12);
  // 25 ms bins from 100 to 400: 100, 110 and 120 in the first, 130 in the second, 400 in the last.
  assert.deepEqual(heights.map((h) => h > 0), [true, true, ...new Array(9).fill(false), true]);
  assert.ok(Math.abs(heights[0] - 3 * heights[1]) < 0.5, "bar heights follow the counts");
  assert.match(svg, /p50 120/);
  assert.match(svg, /p95 400/);
  assert.match(histogramSvg([], "x"), /no data/);
});

Deno.test("plots: log bars and DET curves name their series", () => {
  const bars = barsSvg([
    { label: "speech", values: [["earshot", 0.009], ["openWakeWord", 0.023]] },
    { label: "silence", values: [["earshot", 0.0002], ["openWakeWord", 0.023]] },
  ], "RTF & <log>");
  assert.ok(balanced(bars));
  assert.match(bars, /RTF &amp; &lt;log&gt;/);
  assert.match(bars, />openWakeWord</);
  const det = detSvg({ a: [[1, 0.1], [0.1, 0.2]], b: [[10, 0.05]] });
  assert.ok(balanced(det));
  assert.equal([...det.matchAll(/<polyline/g)].length, 2);
});
