/**
 * The streaming front end: 16 kHz samples in, one {@link AnalysisFrame} per
 * 10 ms hop out (MFCC, level, VAD state), plus `vad` events. Stream time is
 * counted in samples from the first sample pushed.
 * @module
 */
import type { Config } from "../core/config.ts";
import type { EventBus } from "../core/bus.ts";
import { streamTime } from "../core/events.ts";
import { type AnalysisFrame, HOP } from "./frame.ts";
import { StreamingMfcc } from "./mfcc.ts";
import { levelDb, SileroModel, VAD_CHUNK, VoiceActivity } from "./vad.ts";
import { round3 } from "../core/math.ts";

/** Cost counters for the figures (model runs, frames). */
export interface FrontEndStats {
  samples: number;
  frames: number;
  /** 512-sample VAD chunks seen. */
  vadChunks: number;
  /** Chunks Silero ran on. */
  vadRuns: number;
  /** Loud chunks that repeated the last probability (vad.idleStride). */
  vadHeld: number;
  /** Frames whose window was digital silence (MFCC zero without a transform). */
  zeroFrames: number;
}

/** Turns a 16 kHz stream into analysis frames. */
export class FrontEnd {
  #mfcc: StreamingMfcc;
  #vad: VoiceActivity;
  #bus: EventBus;
  #pending = new Float32Array(HOP);
  #pendingLen = 0;
  #vadBuf = new Float32Array(VAD_CHUNK);
  #vadLen = 0;
  #samples = 0; // samples consumed into hops
  #lastProb = 0;
  #lastQuiet = true;
  #zeroRun = 0; // zero samples at the end of the stream so far
  #zeroFrames = 0;

  private constructor(mfcc: StreamingMfcc, vad: VoiceActivity, bus: EventBus) {
    this.#mfcc = mfcc;
    this.#vad = vad;
    this.#bus = bus;
  }

  /**
   * Build the front end from the configuration, on the shared VAD model `vad` (loaded from
   * `vad.model` when not given); the front end keeps its own VAD stream state.
   */
  static async create(config: Config, bus: EventBus, vad?: SileroModel): Promise<FrontEnd> {
    const silero = vad ?? await SileroModel.load(config.vad.model);
    return new FrontEnd(
      new StreamingMfcc({
        melBands: config.mfcc.melBands,
        coefficients: config.mfcc.coefficients,
      }),
      new VoiceActivity(silero, config.vad),
      bus,
    );
  }

  /** Feed samples; calls `onFrame` for every completed hop, in order. */
  async push(
    samples: Float32Array,
    onFrame: (frame: AnalysisFrame) => void | Promise<void>,
  ): Promise<void> {
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(HOP - this.#pendingLen, samples.length - i);
      this.#pending.set(samples.subarray(i, i + n), this.#pendingLen);
      this.#pendingLen += n;
      i += n;
      if (this.#pendingLen === HOP) {
        this.#pendingLen = 0;
        const frame = await this.#hop(this.#pending);
        await onFrame(frame);
      }
    }
  }

  async #hop(hop: Float32Array): Promise<AnalysisFrame> {
    const sample = this.#samples;
    this.#samples += HOP;
    // The VAD works on 512-sample chunks that straddle hops.
    let off = 0;
    while (off < HOP) {
      const n = Math.min(VAD_CHUNK - this.#vadLen, HOP - off);
      this.#vadBuf.set(hop.subarray(off, off + n), this.#vadLen);
      this.#vadLen += n;
      off += n;
      if (this.#vadLen === VAD_CHUNK) {
        this.#vadLen = 0;
        const chunkStart = sample + off - VAD_CHUNK;
        const step = await this.#vad.push(this.#vadBuf, chunkStart);
        this.#lastProb = step.probability;
        this.#lastQuiet = step.quiet;
        if (step.change) {
          this.#bus.emit({
            type: "vad",
            t: streamTime(step.change.sample),
            state: step.change.state,
            sample: step.change.sample,
            probability: round3(step.change.probability),
          });
        }
      }
    }
    // Trailing zero samples: when the whole 512-sample window is digital silence its MFCC is
    // exactly zero (log(0 + 1) in every band), so skip the transform and keep the ring zeroed.
    let zeros = 0;
    while (zeros < HOP && hop[HOP - 1 - zeros] === 0) zeros++;
    this.#zeroRun = zeros === HOP ? this.#zeroRun + HOP : zeros;
    let mfcc: Float32Array;
    if (this.#zeroRun >= this.#mfcc.extractor.size) {
      this.#zeroFrames++;
      this.#mfcc.reset();
      mfcc = new Float32Array(this.#mfcc.extractor.coefficients);
    } else mfcc = this.#mfcc.push(hop);
    return {
      sample,
      t: streamTime(sample + HOP),
      mfcc,
      db: levelDb(hop),
      vadProb: this.#lastProb,
      speech: this.#vad.hysteresis.speaking,
      quiet: this.#lastQuiet,
      hop,
    };
  }

  /** End of stream: close an open speech segment. Returns the end sample. */
  finish(): number {
    const end = this.#samples;
    const change = this.#vad.hysteresis.finish(end);
    if (change) {
      this.#bus.emit({
        type: "vad",
        t: streamTime(end),
        state: "end",
        sample: end,
        probability: 0,
      });
    }
    return end;
  }

  /** Counters for figures. */
  get stats(): FrontEndStats {
    return {
      samples: this.#samples,
      frames: this.#samples / HOP,
      vadChunks: this.#vad.chunks,
      vadRuns: this.#vad.modelRuns,
      vadHeld: this.#vad.held,
      zeroFrames: this.#zeroFrames,
    };
  }

  /** The VAD (for status and its scheduling). */
  get vad(): VoiceActivity {
    return this.#vad;
  }
}
