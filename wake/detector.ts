/**
 * Streaming wake-word detection on the MFCC stream. Every `strideFrames` hops each model scores
 * the newest window of MFCC frames (the model's input "mfcc" [1, T, C]); the scores are
 * smoothed with a moving average, and a model whose smoothed score reaches its threshold emits
 * a `wake` event, then stays quiet for its refractory period. Several models run side by side,
 * each with its own threshold, smoothing and refractory state. With `vadGate`, windows are only
 * scored while the VAD has heard speech within the last half second (silence costs nothing).
 *
 * Model thresholds: the model entry's `threshold`, else the threshold tuned at training time
 * (ONNX metadata "threshold"), else `wake.threshold`.
 *
 * Cascade: a model with a `verifier` (and `wake.verifier.enabled`) only proposes candidates,
 * at its high-recall `candidateThreshold`; from a candidate until `wake.verifier.holdMs` after
 * the last candidate score, the verifier head on the speech embedding (wake/verifier.ts)
 * scores every 80 ms step and the wake event fires when its score reaches the verifier's
 * threshold. The event's `phraseEnd` still comes from the first stage's raw scores.
 * @module
 */
import type { z } from "zod";
import type { EventBus } from "../core/bus.ts";
import type { wakeModelSchema, wakeSchema } from "../core/config.ts";
import { HOP } from "../pipeline/frame.ts";
import type { AnalysisFrame, FrameStage } from "../pipeline/frame.ts";
import { streamTime } from "../core/events.ts";
import { type LoadedModel, loadModel, ModelError, ort } from "../core/ort.ts";
import { WakeEmbedModel } from "./embed.ts";
import { loadVerifierHead, type VerifierHead, VerifierStream } from "./verifier.ts";
import { sensitivityThreshold } from "./sensitivity.ts";

/** The `wake` config section. */
export type WakeConfig = z.infer<typeof wakeSchema>;
/** One entry of `wake.models`. */
export type WakeModelConfig = z.infer<typeof wakeModelSchema>;

/** Frames of speech-free audio after which the VAD gate closes (0.5 s). */
export const GATE_HOLD_FRAMES = 50;

/** Raw scores kept per model for the phrase-end estimate (at stride 4: 1.6 s). */
const RAW_HISTORY = 40;

/**
 * Where the wake phrase ended, estimated from the raw (unsmoothed) scores of the windows scored
 * before a detection ([window end sample, score], oldest first, the detection's window last):
 * the model scores a window high once the whole phrase is inside it, so the phrase ends about
 * where the run of scores at or above `threshold` that leads to the detection began (smoothing
 * delays the detection itself by a few strides). Its first window ends there; the run is
 * followed back at most one window length (`span` samples). Measured on rendered one-breath
 * commands (tests/wake/phrase_end_test.ts): -110 to +170 ms from the true end, median +50 ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // Scores of windows ending at samples 1000, 1640, 2280; the phrase ends where 0.5 was crossed.
 * assert.equal(phraseEnd([[1000, 0.1], [1640, 0.7], [2280, 0.9]], 0.5, 19200), 1427);
 * ```
 */
export function phraseEnd(raw: [number, number][], threshold: number, span: number): number {
  if (!raw.length) throw new RangeError("wake: phraseEnd needs at least one score");
  const last = raw[raw.length - 1][0];
  // The latest window at or above the threshold (smoothing may carry a detection past it).
  let j = raw.length - 1;
  while (j > 0 && raw[j][1] < threshold && last - raw[j - 1][0] <= span) j--;
  if (raw[j][1] < threshold) return last;
  let i = j;
  while (i > 0 && raw[i - 1][1] >= threshold && last - raw[i - 1][0] <= span) i--;
  if (i === 0 || last - raw[i - 1][0] > span) return raw[i][0];
  // Between the last window below the threshold and the first above it, where it crossed.
  const [s0, p0] = raw[i - 1];
  const [s1, p1] = raw[i];
  return Math.round(s0 + ((threshold - p0) / (p1 - p0)) * (s1 - s0));
}

/** A loaded wake-word model and its resolved settings. */
export interface WakeModel {
  id: string;
  phrase: string;
  /** Window length in frames (input dimension 1). */
  frames: number;
  /** MFCC coefficients per frame (input dimension 2). */
  coefficients: number;
  threshold: number;
  refractoryMs: number;
  model: LoadedModel;
  /** The cascade's second stage, when the model has one (see {@link attachVerifiers}). */
  verifier?: WakeCascade;
}

/** A first-stage model's verifier and its operating points. */
export interface WakeCascade {
  head: VerifierHead;
  embed: WakeEmbedModel;
  /** First-stage (smoothed) score that starts a candidate. */
  candidateThreshold: number;
  /** Verifier score that makes the wake event. */
  threshold: number;
  /** Head scores averaged over this many steps. */
  smoothing: number;
}

/**
 * Load the verifiers of the configured models that name one (when `wake.verifier.enabled`),
 * sharing one speech embedding; returns the embedding model (null when none was needed) so the
 * caller can release it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "../core/config.ts";
 * const config = parseConfig({
 *   wake: {
 *     models: [{
 *       id: "hey_computer",
 *       path: "models/wake/hey_computer.onnx",
 *       verifier: "models/wake/hey_computer.verifier.onnx",
 *     }],
 *   },
 * });
 * const models = await Promise.all(config.wake.models.map((m) => loadWakeModel(m, config.wake)));
 * const embed = await attachVerifiers(models, config.wake);
 * const cascade = models[0].verifier;
 * assert.ok(embed && cascade?.embed === embed);
 * await cascade.head.model.session.release();
 * await embed.release();
 * for (const m of models) await m.model.session.release();
 * ```
 */
export async function attachVerifiers(
  models: WakeModel[],
  config: WakeConfig,
): Promise<WakeEmbedModel | null> {
  const specs = new Map(config.models.map((m) => [m.id, m]));
  const want = models.filter((m) => specs.get(m.id)?.verifier);
  if (!config.verifier.enabled || !want.length) return null;
  const v = config.verifier;
  const embed = await WakeEmbedModel.load({
    mel: v.mel ? await resolvePath(v.mel) : undefined,
    embedding: v.embedding ? await resolvePath(v.embedding) : undefined,
  });
  try {
    for (const m of want) {
      const spec = specs.get(m.id)!;
      const head = await loadVerifierHead(await resolvePath(spec.verifier!));
      m.verifier = {
        head,
        embed,
        candidateThreshold: spec.candidateThreshold ?? v.candidateThreshold,
        threshold: v.threshold ?? head.threshold,
        smoothing: v.smoothing ?? head.smoothing,
      };
    }
  } catch (err) {
    for (const m of want) await m.verifier?.head.model.session.release();
    await embed.release();
    throw err;
  }
  return embed;
}

/** Resolve a model path: as given (relative to the working directory), else relative to the repo. */
async function resolvePath(path: string): Promise<string> {
  try {
    await Deno.stat(path);
    return path;
  } catch {
    const inRepo = new URL(`../${path}`, import.meta.url);
    try {
      await Deno.stat(inRepo);
      return inRepo.pathname;
    } catch {
      return path; // loadModel reports the missing file under the name the user gave
    }
  }
}

/** Load one wake model and check that it takes "mfcc" [batch, T, C] and returns one score. */
export async function loadWakeModel(
  spec: WakeModelConfig,
  defaults: Pick<WakeConfig, "threshold" | "refractoryMs">,
  coefficients?: number,
): Promise<WakeModel> {
  const model = await loadModel(await resolvePath(spec.path));
  const input = model.inputs.find((i) => i.name === "mfcc");
  if (!input || input.shape.length !== 3) {
    throw new ModelError(
      `${spec.path}: wake model "${spec.id}" needs an input "mfcc" [batch, frames, coefficients]` +
        ` (has ${model.inputs.map((i) => `${i.name} [${i.shape}]`).join(", ")})`,
    );
  }
  const [, frames, coeffs] = input.shape;
  if (typeof frames !== "number" || typeof coeffs !== "number" || frames < 1 || coeffs < 1) {
    throw new ModelError(`${spec.path}: input "mfcc" needs fixed frames and coefficients`);
  }
  if (coefficients !== undefined && coeffs !== coefficients) {
    throw new ModelError(
      `${spec.path}: wake model "${spec.id}" expects ${coeffs} MFCC coefficients but the front ` +
        `end computes ${coefficients} (mfcc.coefficients)`,
    );
  }
  if (model.outputs.length !== 1) {
    throw new ModelError(`${spec.path}: wake model must have exactly one output (a score)`);
  }
  const meta = model.info.metadata;
  const tuned = meta.threshold !== undefined ? Number(meta.threshold) : NaN;
  return {
    id: spec.id,
    phrase: spec.phrase ?? meta.phrase ?? spec.id.replaceAll("_", " "),
    frames,
    coefficients: coeffs,
    threshold: spec.threshold ??
      (Number.isFinite(tuned) && tuned > 0 && tuned < 1 ? tuned : defaults.threshold),
    refractoryMs: spec.refractoryMs ?? defaults.refractoryMs,
    model,
  };
}

/** Score one window (frames x coefficients, oldest first) with a model; returns 0..1. */
export async function scoreWindow(m: WakeModel, window: Float32Array): Promise<number> {
  const feeds = {
    mfcc: new ort.Tensor("float32", window, [1, m.frames, m.coefficients]),
  };
  const out = await m.model.run(feeds);
  const value = Object.values(out)[0].data[0] as number;
  return value;
}

interface Track {
  m: WakeModel;
  /** The threshold that decides a wake now (the model's, or the verifier's, moved by sensitivity). */
  threshold: number;
  /** The verifier's per-stream state (cascade models only). */
  vs?: VerifierStream;
  /** Stream sample until which the verifier keeps scoring (-Infinity: no candidate). */
  verifyUntil: number;
  /** Latest verifier score (0 without a candidate). */
  verified: number;
  recent: number[];
  /** Recent raw scores with the stream sample where their window ends (for the phrase end). */
  raw: [number, number][];
  lastWakeSample: number;
  /** Latest smoothed score (for levels/UI). */
  smoothed: number;
}

/** Counters for status and benchmarks. */
export interface WakeStats {
  frames: number;
  /** Windows scored (all models together). */
  inferences: number;
  /** Scoring opportunities skipped by the VAD gate. */
  gated: number;
  /** Wall-clock milliseconds spent in inference (both stages). */
  inferenceMs: number;
  /** Verifier updates (80 ms steps scored while a candidate is open). */
  verifications: number;
  /** Candidates the first stage proposed to a verifier. */
  candidates: number;
  /** Wakes detected while muted and not emitted. */
  muted: number;
  /** Scoring opportunities skipped because the wake word was muted (the satellite spoke). */
  speakingMuted: number;
}

/** The wake-word stage. */
export class WakeDetector implements FrameStage {
  readonly tracks: Track[];
  readonly stats: WakeStats = {
    frames: 0,
    inferences: 0,
    gated: 0,
    inferenceMs: 0,
    verifications: 0,
    candidates: 0,
    muted: 0,
    speakingMuted: 0,
  };
  /** While true a detection is counted in `stats.muted` and not emitted (remote mute). */
  muted = false;
  #sensitivity = 0.5;
  /**
   * While this returns true the wake word is muted: no window is scored and the smoothing
   * starts afresh after (the live pipeline sets it to "a sound or speech is playing", so the
   * satellite never wakes on its own voice; app/voice.ts). Skipped strides are counted in
   * `stats.speakingMuted`.
   */
  mute?: () => boolean;
  #bus: EventBus;
  #config: WakeConfig;
  #ring: Float32Array;
  #ringFrames: number;
  #coeffs: number;
  #written = 0;
  #sinceSpeech = Infinity;

  #ownsModels = false;
  #embed: WakeEmbedModel | null = null;
  #closed = false;
  #verifying = false;

  /**
   * Build the stage over already loaded models; the caller keeps ownership of their sessions
   * ({@link WakeDetector.create} loads the configured models and releases them on close).
   */
  constructor(models: WakeModel[], config: WakeConfig, bus: EventBus) {
    if (!models.length) throw new Error("wake: no wake models given");
    const coeffs = models[0].coefficients;
    for (const m of models) {
      if (m.coefficients !== coeffs) {
        throw new Error(
          `wake: models disagree on MFCC size (${
            models[0].id
          }: ${coeffs}, ${m.id}: ${m.coefficients})`,
        );
      }
    }
    const ids = new Set<string>();
    for (const m of models) {
      if (ids.has(m.id)) throw new Error(`wake: duplicate model id "${m.id}"`);
      ids.add(m.id);
    }
    this.tracks = models.map((m) => ({
      m,
      threshold: m.verifier?.threshold ?? m.threshold,
      vs: m.verifier
        ? new VerifierStream(m.verifier.head, m.verifier.embed, {
          lookbackSteps: config.verifier.lookbackSteps,
          smoothing: m.verifier.smoothing,
        })
        : undefined,
      verifyUntil: -Infinity,
      verified: 0,
      recent: [],
      raw: [],
      lastWakeSample: -Infinity,
      smoothed: 0,
    }));
    this.#config = config;
    this.#verifying = this.tracks.some((t) => t.vs);
    this.#bus = bus;
    this.#coeffs = coeffs;
    this.#ringFrames = Math.max(...models.map((m) => m.frames));
    // Twice the window so that a window is always one contiguous subarray.
    this.#ring = new Float32Array(2 * this.#ringFrames * coeffs);
    this.sensitivity = config.sensitivity;
  }

  /** Wake sensitivity, 0 to 1 (wake/sensitivity.ts maps it to each model's threshold). */
  get sensitivity(): number {
    return this.#sensitivity;
  }

  set sensitivity(value: number) {
    const thresholds = this.tracks.map((t) =>
      sensitivityThreshold(t.m.verifier?.threshold ?? t.m.threshold, value, this.#config)
    );
    this.#sensitivity = value;
    this.tracks.forEach((t, i) => t.threshold = thresholds[i]);
  }

  /** The threshold deciding a wake now, per model id. */
  get thresholds(): Record<string, number> {
    return Object.fromEntries(this.tracks.map((t) => [t.m.id, t.threshold]));
  }

  /** Load the configured models (or the given ones) and build the stage. */
  static async create(
    config: WakeConfig,
    bus: EventBus,
    options: { models?: WakeModel[]; coefficients?: number } = {},
  ): Promise<WakeDetector> {
    if (options.models) return new WakeDetector(options.models, config, bus);
    const models = await Promise.all(
      config.models.map((spec) => loadWakeModel(spec, config, options.coefficients)),
    );
    let embed: WakeEmbedModel | null;
    try {
      embed = await attachVerifiers(models, config);
    } catch (err) {
      for (const m of models) await m.model.session.release();
      throw err;
    }
    const detector = new WakeDetector(models, config, bus);
    detector.#ownsModels = true;
    detector.#embed = embed;
    return detector;
  }

  /** Latest smoothed (first-stage) score per model id. */
  get scores(): Record<string, number> {
    return Object.fromEntries(this.tracks.map((t) => [t.m.id, t.smoothed]));
  }

  /** Latest verifier score per cascade model id (0 while no candidate is open). */
  get verifierScores(): Record<string, number> {
    return Object.fromEntries(
      this.tracks.filter((t) => t.vs).map((t) => [t.m.id, t.verified]),
    );
  }

  #push(mfcc: Float32Array): void {
    if (mfcc.length !== this.#coeffs) {
      throw new RangeError(
        `wake: frame has ${mfcc.length} MFCC coefficients, models expect ${this.#coeffs}`,
      );
    }
    const n = this.#ringFrames;
    const slot = this.#written % n;
    // Write each frame twice (slot and slot + n): the last n frames are then contiguous.
    this.#ring.set(mfcc, slot * this.#coeffs);
    this.#ring.set(mfcc, (slot + n) * this.#coeffs);
    this.#written++;
  }

  /** The newest `frames` frames, oldest first (zeros before the stream started). */
  window(frames: number): Float32Array {
    const n = this.#ringFrames;
    const end = (this.#written % n) + n; // exclusive, in the doubled ring
    return this.#ring.slice((end - frames) * this.#coeffs, end * this.#coeffs);
  }

  async onFrame(frame: AnalysisFrame): Promise<void> {
    if (!this.#config.enabled) return;
    this.#push(frame.mfcc);
    if (this.#verifying) { for (const t of this.tracks) t.vs?.push(frame.hop); }
    this.stats.frames++;
    this.#sinceSpeech = frame.speech ? 0 : this.#sinceSpeech + 1;
    if (this.#written % this.#config.strideFrames !== 0) return;
    if (this.mute?.()) {
      this.stats.speakingMuted += this.tracks.length;
      for (const track of this.tracks) {
        track.recent.length = 0;
        track.raw.length = 0;
        track.smoothed = 0;
        if (track.verifyUntil !== -Infinity) {
          track.vs?.reset();
          track.verifyUntil = -Infinity;
          track.verified = 0;
        }
      }
      return;
    }
    const open = !this.#config.vadGate || this.#sinceSpeech <= GATE_HOLD_FRAMES;
    const sampleEnd = frame.sample + HOP;
    for (const track of this.tracks) {
      const refractory = (track.m.refractoryMs / 1000) * 16000;
      const ready = sampleEnd - track.lastWakeSample >= refractory;
      if (!open) {
        this.stats.gated++;
        track.recent.length = 0;
        track.raw.length = 0;
        track.smoothed = 0;
      } else {
        const t0 = performance.now();
        const score = await scoreWindow(track.m, this.window(track.m.frames));
        this.stats.inferenceMs += performance.now() - t0;
        this.stats.inferences++;
        track.recent.push(score);
        if (track.recent.length > this.#config.smoothing) track.recent.shift();
        track.raw.push([sampleEnd, score]);
        if (track.raw.length > RAW_HISTORY) track.raw.shift();
        track.smoothed = track.recent.reduce((a, b) => a + b, 0) / track.recent.length;
      }
      const enough = track.recent.length >= Math.min(this.#config.smoothing, 2);
      const cascade = track.m.verifier;
      if (!cascade || !track.vs) {
        if (open && enough && track.smoothed >= track.threshold && ready) {
          this.#wake(track, sampleEnd, track.smoothed, track.threshold);
        }
        continue;
      }
      if (open && enough && ready && track.smoothed >= cascade.candidateThreshold) {
        if (track.verifyUntil < sampleEnd) this.stats.candidates++;
        track.verifyUntil = sampleEnd + (this.#config.verifier.holdMs / 1000) * 16000;
      }
      if (track.verifyUntil < sampleEnd || !ready) {
        if (track.verifyUntil !== -Infinity) {
          track.vs.reset();
          track.verifyUntil = -Infinity;
          track.verified = 0;
        }
        continue;
      }
      const t0 = performance.now();
      const v = await track.vs.update();
      this.stats.inferenceMs += performance.now() - t0;
      if (v === null) continue;
      this.stats.verifications++;
      track.verified = v;
      if (v >= track.threshold) {
        // The first stage's own threshold locates the phrase end when its scores reached it.
        const peak = Math.max(...track.raw.map(([, p]) => p), 0);
        this.#wake(
          track,
          sampleEnd,
          v,
          peak >= track.m.threshold ? track.m.threshold : cascade.candidateThreshold,
        );
        track.vs.reset();
        track.verifyUntil = -Infinity;
      }
    }
  }

  #wake(track: Track, sampleEnd: number, score: number, endThreshold: number): void {
    track.lastWakeSample = sampleEnd;
    if (this.muted) {
      this.stats.muted++;
      return;
    }
    this.#bus.emit({
      type: "wake",
      t: streamTime(sampleEnd),
      model: track.m.id,
      phrase: track.m.phrase,
      score: Math.round(score * 1e4) / 1e4,
      sample: sampleEnd,
      phraseEnd: track.raw.length
        ? phraseEnd(track.raw, endThreshold, track.m.frames * HOP)
        : sampleEnd,
    });
  }

  /** Release the onnxruntime sessions of models this stage loaded itself (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsModels) {
      for (const t of this.tracks) {
        await t.m.model.session.release();
        await t.m.verifier?.head.model.session.release();
      }
      await this.#embed?.release();
    }
  }
}
