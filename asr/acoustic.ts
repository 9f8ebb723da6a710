/**
 * Streaming runner of the phone CTC acoustic model (models/asr/*.onnx):
 * features in, phone log-probabilities out. The model is a causal stack
 * of convolutions that subsamples by 2 (scripts/train/earshot_train/asr/model.py): every run
 * takes the `context` frames heard before the chunk (ONNX metadata
 * "context") plus an even number of new frames and returns one output frame
 * per 2 new frames. Frames are buffered until `chunkFrames` are pending.
 *
 * What a stream is fed per 10 ms hop depends on the model's metadata "features":
 * `mfcc13` models take the hop's MFCC vector; `oww_mel32` models (the speech embedding
 * front end) take the hop's 160 samples, and the stream computes the 32-band log-mel of
 * every two hops with melspectrogram.onnx (pipeline/melspec.ts), on 20 ms steps as in
 * training (scripts/features.ts --oww-mel).
 * @module
 */
import { type LoadedModel, loadModel, type LoadOptions, ModelError, ort } from "../core/ort.ts";
import { NUM_LABELS } from "../core/phones.ts";
import { HOP } from "../core/units.ts";
import { loadMelSpectrogram, MEL_BANDS, MEL_OVERLAP, melFrames } from "../pipeline/melspec.ts";
import { mfccOfSignal } from "../pipeline/mfcc.ts";

/**
 * Samples per melspectrogram run of `oww_mel32` models (20 ms, two frames): the chunk size is
 * part of the features (pipeline/melspec.ts), so training uses it too (scripts/features.ts).
 */
export const MEL_STEP = 2 * HOP;

/**
 * What a stream of `model` takes for each 10 ms hop of `samples` (a signal starting at stream
 * sample 0): MFCC vectors, or the hops' samples for mel models.
 */
export function hopInputs(model: AcousticModel, samples: Float32Array): Float32Array[] {
  if (model.input === "audio") {
    return Array.from(
      { length: Math.floor(samples.length / HOP) },
      (_, t) => samples.subarray(t * HOP, (t + 1) * HOP),
    );
  }
  const f = mfccOfSignal(samples, { coefficients: model.features });
  return Array.from(
    { length: f.frames },
    (_, t) => f.data.subarray(t * f.coefficients, (t + 1) * f.coefficients),
  );
}

/** Input frames per output frame. */
export const STRIDE = 2;

/**
 * The acoustic model: one onnxruntime session, checked once, shared by every stream
 * ({@link AcousticModel.stream}); it holds no utterance state.
 *
 * @example
 * ```ts
 * const model = await AcousticModel.load("models/asr/asr_int8.onnx");
 * const a = model.stream();
 * const b = model.stream(); // own context and pending frames, same session
 * ```
 */
export class AcousticModel {
  readonly model: LoadedModel;
  /** The melspectrogram model of an `oww_mel32` model (null for MFCC models). */
  readonly mel: LoadedModel | null;
  /** Values per input frame of the network (13 MFCC, 32 mel bands). */
  readonly features: number;
  /** What a stream is fed per hop: its MFCC vector, or its samples (mel models). */
  readonly input: "mfcc" | "audio";
  /** Frames before a chunk that its outputs depend on. */
  readonly context: number;
  readonly chunkFrames: number;

  private constructor(model: LoadedModel, chunkFrames: number, mel: LoadedModel | null) {
    this.model = model;
    this.mel = mel;
    this.input = mel ? "audio" : "mfcc";
    const feats = model.inputs.find((i) => i.name === "feats");
    if (!feats || model.inputs.length !== 1) {
      throw new ModelError(
        `${model.path}: not an earshot ASR model (inputs ${
          model.inputs.map((i) => i.name).join(", ")
        }; expected feats)`,
      );
    }
    if (typeof feats.shape[2] !== "number") {
      throw new ModelError(`${model.path}: feats needs a fixed feature size`);
    }
    const out = model.outputs.find((o) => o.name === "logprobs");
    if (!out) throw new ModelError(`${model.path}: no "logprobs" output`);
    if (typeof out.shape[2] === "number" && out.shape[2] !== NUM_LABELS) {
      throw new ModelError(`${model.path}: ${out.shape[2]} output labels, expected ${NUM_LABELS}`);
    }
    const context = Number(model.info.metadata.context);
    if (!Number.isInteger(context) || context < 0) {
      throw new ModelError(`${model.path}: metadata "context" missing or invalid`);
    }
    if (model.info.metadata.stride !== String(STRIDE)) {
      throw new ModelError(`${model.path}: metadata "stride" must be ${STRIDE}`);
    }
    this.context = context;
    this.features = feats.shape[2];
    if (mel && this.features !== MEL_BANDS) {
      throw new ModelError(`${model.path}: oww_mel32 model with ${this.features} input values`);
    }
    if (!Number.isInteger(chunkFrames) || chunkFrames < 2 || chunkFrames % 2 !== 0) {
      throw new Error(`asr: chunkFrames must be an even integer >= 2, got ${chunkFrames}`);
    }
    this.chunkFrames = chunkFrames;
  }

  /** Load a model file; errors name the file. */
  static async load(
    path: string,
    options: LoadOptions & { chunkFrames?: number } = {},
  ): Promise<AcousticModel> {
    const model = await loadModel(path, options);
    const kind = model.info.metadata.features ?? "mfcc13";
    if (kind !== "mfcc13" && kind !== "oww_mel32") {
      await model.session.release();
      throw new ModelError(`${path}: metadata "features" is "${kind}" (mfcc13 or oww_mel32)`);
    }
    const mel = kind === "oww_mel32" ? await loadMelSpectrogram() : null;
    return new AcousticModel(model, options.chunkFrames ?? 8, mel);
  }

  /** A new stream (one utterance at a time) on this model. */
  stream(): AcousticStream {
    return new AcousticStream(this);
  }
}

/** One stream's state on a shared {@link AcousticModel}: the context and the pending frames. */
export class AcousticStream {
  /** The shared model. */
  readonly shared: AcousticModel;
  /** Frames before a chunk that its outputs depend on (the model's). */
  readonly context: number;
  readonly features: number;
  readonly chunkFrames: number;
  #context: Float32Array[] = [];
  #pending: Float32Array[] = [];
  /** Mel models: the samples before the hop pair being collected, and its first hop. */
  #audio = new Float32Array(MEL_OVERLAP + MEL_STEP);
  #hops = 0;
  /** Milliseconds spent in onnxruntime since the last reset. */
  computeMs = 0;

  constructor(model: AcousticModel) {
    this.shared = model;
    this.context = model.context;
    this.features = model.features;
    this.chunkFrames = model.chunkFrames;
  }

  /**
   * Start a new utterance. `before` (optional) is what was heard just before it, one entry
   * per hop as {@link push} takes them (MFCC vectors, or hop samples for mel models).
   */
  async reset(before: Float32Array[] = []): Promise<void> {
    this.#pending = [];
    this.computeMs = 0;
    this.#audio.fill(0);
    this.#hops = 0;
    if (this.shared.input === "mfcc") {
      this.#context = before.slice(-this.context).map((f) => this.#check(f));
      return;
    }
    // Mel models: the newest pairs of hops that fill the context (and the mel step's overlap).
    const n = Math.min(before.length, this.context + MEL_OVERLAP / HOP + 2) & ~1;
    this.#context = [];
    for (const h of before.slice(before.length - n)) {
      this.#context.push(...await this.#melHop(this.#check(h)));
    }
    this.#context = this.#context.slice(-this.context);
  }

  #check(frame: Float32Array): Float32Array {
    const n = this.shared.input === "audio" ? HOP : this.features;
    const what = this.shared.input === "audio" ? "hop" : "MFCC frame";
    if (frame.length !== n) {
      throw new Error(`asr: ${what} has ${frame.length} values, model expects ${n}`);
    }
    for (const v of frame) {
      if (!Number.isFinite(v)) throw new Error(`asr: ${what} contains ${v}`);
    }
    return Float32Array.from(frame);
  }

  /** Mel models: collect one hop; every second hop yields two mel frames. */
  async #melHop(hop: Float32Array): Promise<Float32Array[]> {
    this.#audio.set(hop, MEL_OVERLAP + this.#hops * HOP);
    if (++this.#hops < 2) return [];
    this.#hops = 0;
    const t0 = performance.now();
    const d = await melFrames(this.shared.mel!, this.#audio);
    this.computeMs += performance.now() - t0;
    this.#audio.copyWithin(0, MEL_STEP);
    return [d.slice(0, MEL_BANDS), d.slice(MEL_BANDS, 2 * MEL_BANDS)];
  }

  /**
   * Queue one hop's input (its MFCC vector, or its samples for mel models); returns log-prob
   * rows ([n x 40]) once a chunk is complete.
   */
  async push(input: Float32Array): Promise<Float32Array> {
    const checked = this.#check(input);
    const frames = this.shared.input === "audio" ? await this.#melHop(checked) : [checked];
    for (const f of frames) {
      if (this.#context.length === 0) this.#context.push(f);
      while (this.#context.length < this.context) this.#context.unshift(this.#context[0]);
      this.#pending.push(f);
    }
    if (this.#pending.length < this.chunkFrames) return new Float32Array(0);
    return await this.#run(this.#pending.length);
  }

  /** Run whatever is pending (an odd last frame is repeated). */
  async flush(): Promise<Float32Array> {
    if (this.shared.input === "audio" && this.#hops === 1) {
      // The last hop of a pair that will not come: complete the pair with silence.
      for (const f of await this.#melHop(new Float32Array(HOP))) this.#pending.push(f);
    }
    if (this.#pending.length === 0) return new Float32Array(0);
    if (this.#pending.length % 2 === 1) this.#pending.push(this.#pending[this.#pending.length - 1]);
    return await this.#run(this.#pending.length);
  }

  /**
   * Log-probs of the pending frames followed by `future` copies of the newest frame (the
   * current silence) without changing the stream state: lets the recognizer see what the
   * model would emit if the silence continued.
   */
  async peek(future: number): Promise<Float32Array> {
    if (this.#context.length === 0) return new Float32Array(0);
    const last = this.#pending.at(-1) ?? this.#context[this.#context.length - 1];
    const frames = [...this.#context, ...this.#pending, ...Array(future).fill(last)];
    if ((frames.length - this.context) % 2 === 1) frames.push(frames[frames.length - 1]);
    return await this.#infer(frames);
  }

  /** Run the model on consecutive feature frames; returns the log-probabilities. */
  async #infer(frames: Float32Array[]): Promise<Float32Array> {
    const data = new Float32Array(frames.length * this.features);
    frames.forEach((f, i) => data.set(f, i * this.features));
    const t0 = performance.now();
    const out = await this.shared.model.run({
      feats: new ort.Tensor("float32", data, [1, frames.length, this.features]),
    });
    this.computeMs += performance.now() - t0;
    return out.logprobs.data as Float32Array;
  }

  async #run(n: number): Promise<Float32Array> {
    const frames = [...this.#context, ...this.#pending.slice(0, n)];
    this.#pending = this.#pending.slice(n);
    const lp = await this.#infer(frames);
    this.#context = frames.slice(frames.length - this.context);
    if (lp.length !== (n / STRIDE) * NUM_LABELS) {
      throw new ModelError(
        `${this.shared.model.path}: ${lp.length} log-probs for ${n} frames, expected ${
          (n / STRIDE) * NUM_LABELS
        }`,
      );
    }
    return lp;
  }
}
