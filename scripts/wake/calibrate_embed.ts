/**
 * Activation ranges of the speech embedding for static INT8 quantization
 * (scripts/train/earshot_train/wake/quantize_embed.py): runs the instrumented model (every Conv / LeakyRelu
 * output exposed) on the embedding windows of training-split clips only and writes
 * { tensor: [min, max] } (min/max over all windows).
 *
 *   deno run -A scripts/wake/calibrate_embed.ts build/wake_xeng/embed_calib.onnx \
 *       data/wake/hey_computer_xeng/clips/train.tsv build/wake_xeng/embed_ranges.json [--clips 240]
 * @module
 */
import { parseArgs } from "node:util";
import { loadModel, ort } from "../../core/ort.ts";
import { readWav } from "../../audio/wav.ts";
import { resample } from "../../audio/resample.ts";
import {
  EMBED_WINDOW,
  FP32_EMBEDDING,
  MEL_BANDS,
  MEL_PER_STEP,
  WakeEmbedModel,
} from "../../wake/embed.ts";
import { parseClipTable } from "./embed_clips.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { clips: { type: "string", default: "240" } },
});
if (positionals.length !== 3) {
  console.error("usage: calibrate_embed.ts <instrumented.onnx> <train clips.tsv> <out.json>");
  Deno.exit(2);
}
const [instrumented, tsv, out] = positionals;
const rows = parseClipTable(await Deno.readTextFile(tsv), tsv);
const front = await WakeEmbedModel.load({ embedding: FP32_EMBEDDING });
const calib = await loadModel(instrumented);
const n = Math.min(rows.length, Number(values.clips));
// An even spread over the table (positives first, then the negative kinds).
const pick = Array.from({ length: n }, (_, i) => rows[Math.floor((i * rows.length) / n)]);
const ranges: Record<string, [number, number]> = {};
let windows = 0;
for (const r of pick) {
  const w = await readWav(r.wav);
  const x = resample(w.samples, w.sampleRate, 16000);
  const mel = await front.melSignal(x);
  const ends: number[] = [];
  for (let f = 80; f * MEL_BANDS <= mel.length; f += MEL_PER_STEP) ends.push(f);
  const batch = new Float32Array(ends.length * EMBED_WINDOW * MEL_BANDS);
  ends.forEach((e, i) =>
    batch.set(
      mel.subarray((e - EMBED_WINDOW) * MEL_BANDS, e * MEL_BANDS),
      i * EMBED_WINDOW * MEL_BANDS,
    )
  );
  const res = await calib.session.run({
    [calib.session.inputNames[0]]: new ort.Tensor("float32", batch, [
      ends.length,
      EMBED_WINDOW,
      MEL_BANDS,
      1,
    ]),
  });
  for (const [name, t] of Object.entries(res)) {
    const d = t.data as Float32Array;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < d.length; i++) {
      if (d[i] < lo) lo = d[i];
      if (d[i] > hi) hi = d[i];
    }
    const cur = ranges[name] ?? [Infinity, -Infinity];
    ranges[name] = [Math.min(cur[0], lo), Math.max(cur[1], hi)];
  }
  windows += ends.length;
}
await Deno.writeTextFile(out, JSON.stringify(ranges, null, 1));
console.error(`${out}: ${Object.keys(ranges).length} tensors over ${windows} windows`);
await front.release();
await calib.session.release();
