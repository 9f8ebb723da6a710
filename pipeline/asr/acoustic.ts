/**
 * Streaming runner of the phone CTC acoustic model (models/asr/*.onnx):
 * MFCC frames in, phone log-probabilities out. The model subsamples by 2
 * with a kernel-5 convolution, so every run takes the last {@link CONTEXT}
 * frames of the previous chunk plus an even number of new frames, and the
 * LSTM state is carried from run to run (scripts/asr/model.py documents the
 * contract). Frames are buffered until `chunkFrames` are pending.
 * @module
 */
import {
  type LoadedModel,
  loadModel,
  type LoadOptions,
  ModelError,
  ort,
} from "../../models/ort.ts";
import { NUM_LABELS } from "./phones.ts";

/** Input frames carried over between chunks (kernel 5 - stride 2). */
export const CONTEXT = 3;
/** Input frames per output frame. */
export const STRIDE = 2;

/** Streaming acoustic model session (one utterance at a time). */
export class AcousticModel {
  readonly model: LoadedModel;
  readonly features: number;
  readonly layers: number;
  readonly hidden: number;
  readonly chunkFrames: number;
  #context: Float32Array[] = [];
  #pending: Float32Array[] = [];
  #h: ort.Tensor;
  #c: ort.Tensor;
  /** Milliseconds spent in onnxruntime since the last reset. */
  computeMs = 0;

  private constructor(model: LoadedModel, chunkFrames: number) {
    this.model = model;
    const shape = (name: string) => {
      const io = model.inputs.find((i) => i.name === name);
      if (!io) {
        throw new ModelError(
          `${model.path}: not an earshot ASR model (no input "${name}"; has ${
            model.inputs.map((i) => i.name).join(", ")
          })`,
        );
      }
      return io.shape;
    };
    const f = shape("feats");
    const h = shape("h0");
    shape("c0");
    if (typeof f[2] !== "number" || typeof h[0] !== "number" || typeof h[2] !== "number") {
      throw new ModelError(`${model.path}: feats/h0 need fixed feature and state sizes`);
    }
    const out = model.outputs.find((o) => o.name === "logprobs");
    if (!out) throw new ModelError(`${model.path}: no "logprobs" output`);
    if (typeof out.shape[2] === "number" && out.shape[2] !== NUM_LABELS) {
      throw new ModelError(`${model.path}: ${out.shape[2]} output labels, expected ${NUM_LABELS}`);
    }
    this.features = f[2];
    this.layers = h[0];
    this.hidden = h[2];
    if (!Number.isInteger(chunkFrames) || chunkFrames < 2 || chunkFrames % 2 !== 0) {
      throw new Error(`asr: chunkFrames must be an even integer >= 2, got ${chunkFrames}`);
    }
    this.chunkFrames = chunkFrames;
    this.#h = this.#zeros();
    this.#c = this.#zeros();
  }

  /** Load a model file; errors name the file. */
  static async load(
    path: string,
    options: LoadOptions & { chunkFrames?: number } = {},
  ): Promise<AcousticModel> {
    return new AcousticModel(await loadModel(path, options), options.chunkFrames ?? 8);
  }

  #zeros(): ort.Tensor {
    return new ort.Tensor("float32", new Float32Array(this.layers * this.hidden), [
      this.layers,
      1,
      this.hidden,
    ]);
  }

  /** Start a new utterance. `context` (optional) are frames heard just before it. */
  reset(context: Float32Array[] = []): void {
    this.#context = context.slice(-CONTEXT).map((f) => this.#check(f));
    this.#pending = [];
    this.#h = this.#zeros();
    this.#c = this.#zeros();
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
    if (this.#context.length === 0) {
      for (let i = 0; i < CONTEXT; i++) this.#context.push(f);
    }
    while (this.#context.length < CONTEXT) this.#context.unshift(this.#context[0]);
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

  async #run(n: number): Promise<Float32Array> {
    const frames = [...this.#context, ...this.#pending.slice(0, n)];
    this.#pending = this.#pending.slice(n);
    const data = new Float32Array(frames.length * this.features);
    frames.forEach((f, i) => data.set(f, i * this.features));
    const t0 = performance.now();
    const out = await this.model.run({
      feats: new ort.Tensor("float32", data, [1, frames.length, this.features]),
      h0: this.#h,
      c0: this.#c,
    });
    this.computeMs += performance.now() - t0;
    this.#h = out.hn;
    this.#c = out.cn;
    this.#context = frames.slice(-CONTEXT);
    const lp = out.logprobs.data as Float32Array;
    if (lp.length !== (n / STRIDE) * NUM_LABELS) {
      throw new ModelError(
        `${this.model.path}: ${lp.length} log-probs for ${n} frames, expected ${
          (n / STRIDE) * NUM_LABELS
        }`,
      );
    }
    return lp;
  }
}
