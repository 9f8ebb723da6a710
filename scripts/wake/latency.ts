/**
 * Latency per inference of a wake model in fp32, INT8 and 4-bit mixed precision, measured in
 * onnxruntime-node with one thread, interleaved so that all precisions see the same machine
 * load. Prints a table; `--json` also writes the figures for the model card.
 *
 *   deno run -A scripts/wake/latency.ts [--model hey_computer] [--runs 3000] [--json out.json]
 *     [--models models/wake]
 * @module
 */
import { parseArgs } from "node:util";
import { loadModel, ort } from "../../core/ort.ts";

/** Median and 90th percentile of microsecond timings. */
export function summarize(us: number[]): { median_us: number; p90_us: number } {
  const s = [...us].sort((a, b) => a - b);
  return { median_us: s[Math.floor(s.length / 2)], p90_us: s[Math.floor(s.length * 0.9)] };
}

/** Measure every precision of model `id` under `dir` (default models/wake/). */
export async function measure(
  id: string,
  runs: number,
  dir = new URL("../../models/wake/", import.meta.url).pathname,
) {
  dir = dir.replace(/\/*$/, "/");
  const files = { fp32: `${id}.fp32.onnx`, int8: `${id}.int8.onnx`, mixed4: `${id}.onnx` };
  const models = Object.fromEntries(
    await Promise.all(
      Object.entries(files).map(async ([k, f]) => [k, await loadModel(dir + f)] as const),
    ),
  );
  const frames = Number(models.fp32.inputs[0].shape[1]);
  const x = new Float32Array(frames * 13);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) * 20;
  const feeds = { mfcc: new ort.Tensor("float32", x, [1, frames, 13]) };
  const times: Record<string, number[]> = { fp32: [], int8: [], mixed4: [] };
  for (let i = 0; i < 200; i++) for (const m of Object.values(models)) await m.session.run(feeds);
  for (let i = 0; i < runs; i++) {
    for (const [k, m] of Object.entries(models)) {
      const t0 = performance.now();
      await m.session.run(feeds);
      times[k].push((performance.now() - t0) * 1000);
    }
  }
  const out: Record<string, { median_us: number; p90_us: number; bytes: number }> = {};
  for (const [k, m] of Object.entries(models)) {
    out[k] = { ...summarize(times[k]), bytes: m.sizeBytes };
    await m.session.release();
  }
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      model: { type: "string", default: "hey_computer" },
      runs: { type: "string", default: "3000" },
      json: { type: "string" },
      models: { type: "string" },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 10) {
    console.error(`--runs must be an integer >= 10, got ${values.runs}`);
    Deno.exit(2);
  }
  const r = await measure(values.model!, runs, values.models);
  console.log(`| precision | bytes | median us | p90 us | vs fp32 |`);
  console.log(`|---|---|---|---|---|`);
  for (const [k, v] of Object.entries(r)) {
    console.log(
      `| ${k} | ${v.bytes} | ${v.median_us.toFixed(1)} | ${v.p90_us.toFixed(1)} | ${
        (r.fp32.median_us / v.median_us).toFixed(2)
      }x |`,
    );
  }
  if (values.json) {
    await Deno.mkdir(values.json.replace(/\/[^/]*$/, "") || ".", { recursive: true });
    await Deno.writeTextFile(values.json, JSON.stringify(r, null, 1));
  }
}
