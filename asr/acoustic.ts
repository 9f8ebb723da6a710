/**
 * Streaming runner of the phone CTC acoustic model (models/asr/*.onnx):
 * MFCC frames in, phone log-probabilities out. The model is a causal stack
 * of convolutions that subsamples by 2 (scripts/train/earshot_train/asr/model.py): every run
 * takes the `context` frames heard before the chunk (ONNX metadata
 * "context") plus an even number of new frames and returns one output frame
 * per 2 new frames. Frames are buffered until `chunkFrames` are pending.
 * @module
 */
import { type LoadedModel, loadModel, type LoadOptions, ModelError, ort } from "../core/ort.ts";
import { NUM_LABELS } from "../core/phones.ts";

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
  readonly features: number;
  /** Frames before a chunk that its outputs depend on. */
  readonly context: number;
  readonly chunkFrames: number;

  private constructor(model: LoadedModel, chunkFrames: number) {
    this.model = model;
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
    return new AcousticModel(await loadModel(path, options), options.chunkFrames ?? 8);
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
  /** Milliseconds spent in onnxruntime since the last reset. */
  computeMs = 0;

  constructor(model: AcousticModel) {
    this.shared = model;
    this.context = model.context;
    this.features = model.features;
    this.chunkFrames = model.chunkFrames;
  }

  /** Start a new utterance. `before` (optional) are frames heard just before it. */
  reset(before: Float32Array[] = []): void {
    this.#context = before.slice(-this.context).map((f) => this.#check(f));
    this.#pending = [];
    this.computeMs = 0;
  }

  #check(frame: Float32Array): Float32Array {
    if (frame.length !== this.features) {
      throw new Error(`asr: MFCC frame has ${frame.length} values, model expects ${this.features}`);
    }
    for (const v of frame) {
      if (!Number.isFinite(v)) throw new Error(`asr: MFCC frame contains ${v}`);
    }
    return Float32Array.from(frame);
  }

  /** Queue one MFCC frame; returns log-prob rows ([n x 40]) once a chunk is complete. */
  async push(frame: Float32Array): Promise<Float32Array> {
    const f = this.#check(frame);
    if (this.#context.length === 0) this.#context.push(f);
    while (this.#context.length < this.context) this.#context.unshift(this.#context[0]);
    this.#pending.push(f);
    if (this.#pending.length < this.chunkFrames) return new Float32Array(0);
    return await this.#run(this.#pending.length);
  }

  /** Run whatever is pending (an odd last frame is repeated). */
  async flush(): Promise<Float32Array> {
    if (this.#pending.length === 0) return new Float32Array(0);
    if (this.#pending.length % 2 === 1) this.#pending.push(this.#pending[this.#pending.length - 1]);
    return await this.#run(this.#pending.length);
  }

  /**
   * Log-probs of the pending frames followed by `future` (assumed frames, e.g.
   * copies of the current silence) without changing the stream state: lets
   * the recognizer see what the model would emit if the silence continued.
   */
  async peek(future: Float32Array[]): Promise<Float32Array> {
    if (this.#context.length === 0) return new Float32Array(0);
    const extra = future.map((f) => this.#check(f));
    const frames = [...this.#context, ...this.#pending, ...extra];
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
