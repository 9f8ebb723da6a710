/**
 * Second stage of the wake-word cascade: a small head (models/wake/<id>.verifier.onnx, input
 * "embeddings" [batch, 16, 96], output "score" [batch, 1]) on 1.28 s of the frozen speech
 * embedding (wake/embed.ts). It runs only while the first stage (the MFCC spotter,
 * wake/detector.ts) has a candidate: the stream keeps the last 3.2 s of audio, and when asked
 * it computes the embedding steps it lacks (from a few steps before the candidate on), scores
 * every new step's window and returns the best smoothed score. Between candidates it costs a
 * copy of each 10 ms hop.
 *
 * Thresholds: the config's `wake.verifier.threshold` when set, else the one calibrated on the
 * validation stream (ONNX metadata "threshold", also in the model card).
 * @module
 */
import { type LoadedModel, loadModel, ModelError, ort } from "../core/ort.ts";
import {
  EMBED_DIM,
  EMBED_STEP,
  EMBED_WINDOW,
  MEL_BANDS,
  MEL_PER_STEP,
  type WakeEmbedModel,
} from "./embed.ts";

/** Embedding frames per head window (1.28 s). */
export const HEAD_FRAMES = 16;
/** Audio kept for the verifier (3.2 s: 16 embeddings of 76 mel frames plus the lookback). */
export const HISTORY_SAMPLES = 40 * EMBED_STEP;
/** Mel steps (80 ms) an embedding's 76 frames reach back. */
const MEL_STEPS_BACK = Math.ceil(EMBED_WINDOW / MEL_PER_STEP); // 10

/** A loaded verifier head and its calibrated settings. */
export interface VerifierHead {
  path: string;
  model: LoadedModel;
  /** Calibrated threshold (metadata "threshold"), 0..1. */
  threshold: number;
  /** Head scores averaged over this many consecutive steps (metadata "smoothing"). */
  smoothing: number;
}

/**
 * Load a verifier head; the error names the file when it is missing, corrupt or shaped wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const head = await loadVerifierHead("models/wake/hey_computer.verifier.onnx");
 * assert.ok(head.threshold > 0 && head.threshold < 1); // calibrated on the validation stream
 * await head.model.session.release();
 * ```
 */
export async function loadVerifierHead(path: string): Promise<VerifierHead> {
  const model = await loadModel(path);
  const input = model.inputs[0];
  if (
    model.inputs.length !== 1 || input.name !== "embeddings" || input.shape.length !== 3 ||
    input.shape[1] !== HEAD_FRAMES || input.shape[2] !== EMBED_DIM || model.outputs.length !== 1
  ) {
    await model.session.release();
    throw new ModelError(
      `${path}: a wake verifier needs one input "embeddings" [batch, ${HEAD_FRAMES}, ` +
        `${EMBED_DIM}] and one output (has ${
          model.inputs.map((i) => `${i.name} [${i.shape}]`).join(", ")
        })`,
    );
  }
  const thr = Number(model.info.metadata.threshold);
  const smoothing = Number(model.info.metadata.smoothing ?? 1);
  return {
    path,
    model,
    threshold: Number.isFinite(thr) && thr > 0 && thr < 1 ? thr : 0.5,
    smoothing: Number.isInteger(smoothing) && smoothing >= 1 && smoothing <= 8 ? smoothing : 1,
  };
}

/** Score windows of 16 embeddings (n x 16 x 96, flattened) with a head; returns n scores. */
export async function scoreHead(head: VerifierHead, x: Float32Array): Promise<Float32Array> {
  const n = x.length / (HEAD_FRAMES * EMBED_DIM);
  const out = await head.model.run({
    embeddings: new ort.Tensor("float32", x, [n, HEAD_FRAMES, EMBED_DIM]),
  });
  return Float32Array.from(Object.values(out)[0].data as Float32Array);
}

/** Counters for benchmarks. */
export interface VerifierStats {
  /** Embedding steps computed. */
  embeddings: number;
  /** Head windows scored. */
  windows: number;
  /** Wall-clock milliseconds in the mel, embedding and head models. */
  inferenceMs: number;
}

/** Per-stream state of one verifier: audio history, cached mel frames, embeddings, scores. */
export class VerifierStream {
  readonly head: VerifierHead;
  readonly embed: WakeEmbedModel;
  readonly stats: VerifierStats = { embeddings: 0, windows: 0, inferenceMs: 0 };
  #ring = new Float32Array(HISTORY_SAMPLES);
  #total = 0;
  #mel = new Map<number, Float32Array>();
  #emb = new Map<number, Float32Array>();
  #scores = new Map<number, number>();
  #lastScored = -Infinity;
  #lookback: number;
  #smoothing: number;

  /**
   * @param lookbackSteps steps before the current one scored when a candidate starts (the
   *   first stage fires a little after the phrase ends)
   */
  constructor(
    head: VerifierHead,
    embed: WakeEmbedModel,
    options: { lookbackSteps?: number; smoothing?: number } = {},
  ) {
    this.head = head;
    this.embed = embed;
    this.#lookback = options.lookbackSteps ?? 4;
    this.#smoothing = options.smoothing ?? head.smoothing;
  }

  /** Stream samples seen. */
  get samples(): number {
    return this.#total;
  }

  /** Append audio (any length; the last 3.2 s are kept). */
  push(samples: Float32Array): void {
    const n = HISTORY_SAMPLES;
    if (samples.length >= n) {
      this.#ring.set(samples.subarray(samples.length - n));
      this.#total += samples.length;
      // keep the ring's phase: sample a lives at a % n
      const shift = this.#total % n;
      if (shift) {
        const copy = this.#ring.slice();
        this.#ring.set(copy.subarray(n - shift), 0);
        this.#ring.set(copy.subarray(0, n - shift), shift);
      }
      return;
    }
    const at = this.#total % n;
    const first = Math.min(samples.length, n - at);
    this.#ring.set(samples.subarray(0, first), at);
    if (first < samples.length) this.#ring.set(samples.subarray(first), 0);
    this.#total += samples.length;
  }

  /** Audio of stream samples [from, to) (zeros before the stream start). */
  audio(from: number, to: number): Float32Array {
    if (to > this.#total || Math.max(from, 0) < this.#total - HISTORY_SAMPLES) {
      throw new RangeError(`wake_verifier: samples ${from}..${to} are not in the history`);
    }
    const out = new Float32Array(to - from);
    for (let a = Math.max(from, 0); a < to; a++) out[a - from] = this.#ring[a % HISTORY_SAMPLES];
    return out;
  }

  /** Forget cached steps and scores (the next update starts a fresh candidate). */
  reset(): void {
    this.#mel.clear();
    this.#emb.clear();
    this.#scores.clear();
    this.#lastScored = -Infinity;
  }

  async #melOf(step: number): Promise<Float32Array> {
    let m = this.#mel.get(step);
    if (!m) {
      if (step <= 0) m = new Float32Array(MEL_PER_STEP * MEL_BANDS);
      else {
        const end = step * EMBED_STEP;
        const chunk = this.audio(end - EMBED_STEP - 480, end);
        m = await this.embed.melStep(chunk, chunk.length);
      }
      this.#mel.set(step, m);
    }
    return m;
  }

  /**
   * Score every complete 80 ms step not scored yet (on a fresh candidate: from `lookbackSteps`
   * before the newest one); returns the best smoothed score among them, or null when no new
   * step completed.
   */
  async update(): Promise<number | null> {
    const newest = Math.floor(this.#total / EMBED_STEP);
    const first = Math.max(this.#lastScored + 1, newest - this.#lookback);
    if (first > newest) return null;
    const t0 = performance.now();
    // Embeddings needed: 16 per scored step.
    const need: number[] = [];
    for (let k = first - HEAD_FRAMES + 1; k <= newest; k++) {
      if (!this.#emb.has(k)) need.push(k);
    }
    const real = need.filter((k) => k * MEL_PER_STEP >= EMBED_WINDOW);
    for (const k of need) {
      if (!real.includes(k)) this.#emb.set(k, new Float32Array(EMBED_DIM));
    }
    if (real.length) {
      // One mel buffer over the steps these windows cover, then one batched embedding run.
      const s0 = real[0] - MEL_STEPS_BACK + 1;
      const mel = new Float32Array((newest - s0 + 1) * MEL_PER_STEP * MEL_BANDS);
      for (let s = s0; s <= newest; s++) {
        mel.set(await this.#melOf(s), (s - s0) * MEL_PER_STEP * MEL_BANDS);
      }
      const ends = real.map((k) => (k - s0 + 1) * MEL_PER_STEP);
      const e = await this.embed.embed(mel, ends);
      real.forEach((k, i) => this.#emb.set(k, e.slice(i * EMBED_DIM, (i + 1) * EMBED_DIM)));
      this.stats.embeddings += real.length;
    }
    const n = newest - first + 1;
    const x = new Float32Array(n * HEAD_FRAMES * EMBED_DIM);
    for (let k = first; k <= newest; k++) {
      for (let j = 0; j < HEAD_FRAMES; j++) {
        x.set(this.#emb.get(k - HEAD_FRAMES + 1 + j)!, ((k - first) * HEAD_FRAMES + j) * EMBED_DIM);
      }
    }
    const scores = await scoreHead(this.head, x);
    this.stats.windows += n;
    let best = -Infinity;
    for (let k = first; k <= newest; k++) {
      this.#scores.set(k, scores[k - first]);
      let sum = 0, c = 0;
      for (let j = 0; j < this.#smoothing; j++) {
        const s = this.#scores.get(k - j);
        if (s === undefined) break;
        sum += s;
        c++;
      }
      best = Math.max(best, sum / c);
    }
    this.#lastScored = newest;
    // Drop what no later window needs.
    for (const m of [this.#mel, this.#emb, this.#scores] as Map<number, unknown>[]) {
      for (const k of m.keys()) if (k < newest - 40) m.delete(k);
    }
    this.stats.inferenceMs += performance.now() - t0;
    return best;
  }
}
