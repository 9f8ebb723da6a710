/**
 * The pipeline: front end (VAD + MFCC) followed by the model stages (wake,
 * ASR, ...), all driven by one 16 kHz stream, all reporting on one bus.
 * Follow a frame from {@link Pipeline.push} top to bottom.
 *
 * Always-on scheduling: while idle, Silero runs at the reduced rate of
 * `vad.idleStride` (see pipeline/vad.ts). After a `wake` event it runs on
 * every loud chunk until the command recognizer's `transcript` (or, when none
 * comes, `asr.listenTimeoutMs + asr.maxUtteranceMs` of stream time), so the
 * command's speech end is timed at full resolution; with `asr.trigger: "vad"`
 * (every speech segment is decoded) it always runs at full rate.
 * @module
 */
import type { Config } from "../core/config.ts";
import { EventBus } from "../core/bus.ts";
import { type EarshotEvent, streamTime } from "../core/events.ts";
import { type AnalysisFrame, type FrameStage, hasScores, type StageResult } from "./frame.ts";
import { FrontEnd } from "./frontend.ts";
import { decodeWav } from "../audio/wav.ts";
import { resample } from "../audio/resample.ts";
import type { SileroModel } from "./vad.ts";
import { msToSamples, SAMPLE_RATE } from "../core/units.ts";
import { round3 } from "../core/math.ts";

/** How often `level` events are emitted (frames). */
const LEVEL_EVERY = 10;

/** Options for {@link Pipeline.create}. */
export interface PipelineOptions {
  /** Model stages, in order (wake detector, recognizer, ...). */
  stages?: FrameStage[];
  /** Reuse an already loaded VAD. */
  vad?: SileroModel;
}

/** The streaming pipeline for one audio stream. */
/** Most milliseconds of pipeline work before the event loop gets a turn. */
export const YIELD_MS = 20;

export class Pipeline {
  readonly bus: EventBus;
  readonly frontEnd: FrontEnd;
  readonly stages: FrameStage[];
  #frames = 0;
  #wakeScores: Record<string, number> = {};
  #unsubscribe: () => void;
  /** Wall-clock milliseconds spent in push() (for the real-time factor). */
  computeMs = 0;

  private constructor(
    bus: EventBus,
    frontEnd: FrontEnd,
    stages: FrameStage[],
    asr: Config["asr"],
  ) {
    this.bus = bus;
    this.frontEnd = frontEnd;
    this.stages = stages;
    const vad = frontEnd.vad;
    if (asr.enabled && asr.trigger === "vad") vad.fullRateUntil(Infinity);
    // With the wake trigger the recognizer listens after a wake word and ends the command at the
    // VAD's speech end: the VAD runs at full rate from the wake word to the transcript.
    const hold = asr.enabled && asr.trigger === "wake"
      ? Math.round(msToSamples(asr.listenTimeoutMs + asr.maxUtteranceMs))
      : null;
    // The policy, in one place, for results of stages and for events of any other source on
    // the bus (a wake word sent by a satellite, a test's stand-in): wake words and the front
    // end's VAD changes are handed to the stages here; stages never listen to the bus.
    this.#unsubscribe = bus.on((e) => {
      if (e.type === "transcript") {
        if (hold !== null) vad.fullRateUntil(-1);
        return;
      }
      if (e.type === "wake") {
        this.#wakeScores[e.model] = e.score;
        if (hold !== null) vad.fullRateUntil(e.sample + hold);
      } else if (e.type !== "vad") return;
      for (const stage of this.stages) stage.onEvent?.(e);
    });
  }

  /** Emit a stage's result to the sinks (the bus listener above applies the policy). */
  #apply(result: void | StageResult): void {
    if (!result) return;
    if (result.wake) this.bus.emit(result.wake);
    if (result.transcript) this.bus.emit(result.transcript);
  }

  /** Build a pipeline; loads the VAD model. */
  static async create(config: Config, bus: EventBus, options: PipelineOptions = {}) {
    const frontEnd = await FrontEnd.create(config, bus, options.vad);
    return new Pipeline(bus, frontEnd, options.stages ?? [], config.asr);
  }

  /** Feed 16 kHz mono samples. */
  async push(samples: Float32Array): Promise<void> {
    const t0 = performance.now();
    this.#sliceStart = t0;
    this.#yieldedMs = 0;
    await this.frontEnd.push(samples, (frame) => this.#frame(frame));
    this.computeMs += performance.now() - t0 - this.#yieldedMs;
  }

  #sliceStart = 0;
  #yieldedMs = 0;

  async #frame(frame: AnalysisFrame): Promise<void> {
    for (const stage of this.stages) this.#apply(await stage.onFrame(frame));
    // A big chunk (a lagging reader, a file, an upload) or a costly frame (the recognizer
    // catching up after a wake) must not hold the event loop: the API, MQTT keep-alives and
    // timers get a turn after every YIELD_MS of work.
    const now = performance.now();
    if (now - this.#sliceStart > YIELD_MS) {
      await new Promise((r) => setTimeout(r, 0));
      this.#sliceStart = performance.now();
      this.#yieldedMs += this.#sliceStart - now;
    }
    if (++this.#frames % LEVEL_EVERY === 0) {
      for (const stage of this.stages.filter(hasScores)) {
        for (const [id, score] of Object.entries(stage.scores)) {
          this.#wakeScores[id] = round3(score);
        }
      }
      this.bus.emit({
        type: "level",
        t: frame.t,
        db: Math.round(frame.db * 10) / 10,
        vad: round3(frame.vadProb),
        wake: { ...this.#wakeScores },
      });
    }
  }

  /** End of stream: flush the stages and close open speech. */
  async end(): Promise<void> {
    const end = this.frontEnd.finish();
    for (const stage of this.stages) this.#apply(await stage.flush?.(streamTime(end)));
  }

  /** Release the stages and stop listening on the bus. */
  async close(): Promise<void> {
    this.#unsubscribe();
    for (const stage of this.stages) await stage.close?.();
  }

  /** Seconds of audio processed. */
  get seconds(): number {
    return this.frontEnd.stats.samples / SAMPLE_RATE;
  }

  /** Compute time / audio time. */
  get realTimeFactor(): number {
    return this.seconds ? this.computeMs / 1000 / this.seconds : 0;
  }
}

/**
 * Run a whole recording (WAV bytes, any format) through a fresh pipeline and
 * return its events. `makeStages` builds the model stages on the given bus.
 */
export async function runAudio(
  wav: Uint8Array,
  config: Config,
  options: {
    name?: string;
    makeStages?: (bus: EventBus) => FrameStage[] | Promise<FrameStage[]>;
    vad?: SileroModel;
    bus?: EventBus;
    chunk?: number;
  } = {},
): Promise<EarshotEvent[]> {
  const decoded = decodeWav(wav, { name: options.name ?? "upload" });
  const samples = resample(decoded.samples, decoded.sampleRate, SAMPLE_RATE);
  const bus = options.bus ?? new EventBus();
  const events: EarshotEvent[] = [];
  const off = bus.on((e) => events.push(e));
  const stages = options.makeStages ? await options.makeStages(bus) : [];
  const pipeline = await Pipeline.create(config, bus, { stages, vad: options.vad });
  try {
    const step = options.chunk ?? 1600;
    for (let i = 0; i < samples.length; i += step) {
      await pipeline.push(samples.subarray(i, Math.min(samples.length, i + step)));
    }
    await pipeline.end();
  } finally {
    await pipeline.close();
    off();
  }
  return events;
}
