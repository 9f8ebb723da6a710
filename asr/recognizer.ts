/**
 * The command recognizer stage: after a wake event (or at every speech start
 * with `trigger: "vad"`), MFCC frames go through the streaming acoustic model
 * into the grammar-constrained CTC decoder.
 *
 * After a wake event the decode starts where the wake phrase ended (the event's
 * `phraseEnd`, an estimate), from frames already heard: a command said in the
 * same breath ("hey computer turn off the lamp") is decoded as well as one after
 * a pause. The decode starts {@link PHRASE_END_MARGIN_FRAMES} before the
 * estimate, and its first {@link LEAD_IN_FRAMES} decoder frames may be left
 * unexplained (the tail of the wake phrase when the estimate was early). The
 * command starts at the first speech after the phrase end; a fragment that
 * ends before it (a tail of the wake phrase, a cough: no word started, or short
 * and no accepted sentence) does not end listening, and a new wake phrase
 * before the command starts over from its end. The utterance ends at the first of:
 *
 * - early commit: speech has started, the best hypothesis is a complete
 *   command and `earlyCommitMs` of silence followed;
 * - the VAD's speech end;
 * - in noise that never falls silent: the same complete, accepted sentence has
 *   been the best hypothesis for {@link STABLE_FRAMES} decoder frames;
 * - `maxUtteranceMs` after speech started;
 * - `listenTimeoutMs` without speech (nothing is emitted then).
 *
 * Every utterance yields one `transcript` event; below `confidenceThreshold`
 * it is marked `rejected` (no action). The event carries the command (intent
 * and slots) that the decoded sentence's grammar path spells.
 * @module
 */
import { type Config, DEFAULTS } from "../core/config.ts";
import { HOP, HOP_S, SAMPLE_RATE } from "../core/units.ts";
import type { TranscriptEvent, VadEvent, WakeEvent } from "../core/events.ts";
import type { AnalysisFrame, FrameStage, StageResult } from "../pipeline/frame.ts";
import type { WordGrammar } from "../core/grammar.ts";
import { grammarWords } from "../core/grammar.ts";
import { sentenceCommand } from "../core/grammar_path.ts";
import { AcousticModel, type AcousticStream } from "./acoustic.ts";
import { CtcGrammarDecoder, type DecodeResult, type DecoderOptions } from "./decoder.ts";
import { buildGraph, type DecodingGraph } from "./graph.ts";
import { buildLexicon } from "./lexicon.ts";
import { round3 } from "../core/math.ts";

/** Where the shipped INT8 model lives (relative to the working directory). */
export const DEFAULT_ASR_MODEL = "models/asr/asr_int8.onnx";

/** Settings of the stage (the `asr` config section). */
export type RecognizerSettings = Config["asr"];

/** Frames before a VAD speech start that are decoded too (covers minSpeechMs + onset). */
const PREROLL_FRAMES = 30;
/**
 * Frames before the wake phrase's estimated end where the decode starts: the estimate is up to
 * ~170 ms late (tests/wake/phrase_end_test.ts), and a command said in one breath starts right
 * at the true end.
 */
export const PHRASE_END_MARGIN_FRAMES = 20;
/**
 * Decoder frames (20 ms each) at the start of a decode after a wake event that a hypothesis may
 * leave unexplained at the free loop's cost: what precedes the command (the end of the wake
 * phrase when its end was estimated early) is not forced into the command's first word.
 */
export const LEAD_IN_FRAMES = 20;
/**
 * Decoder frames (20 ms) for which the same complete sentence must stay the best hypothesis to
 * end a command without silence (babble); silence ends it sooner (early commit).
 */
const STABLE_FRAMES = 15;
/** Longest wake phrase (seconds; the wake models' window is 1.2 s). */
const WAKE_WINDOW_S = 1.2;
/** Speech shorter than this (seconds) that is no accepted command does not end listening. */
const FRAGMENT_S = 0.6;
/** Frames kept for decoding from the wake phrase's end: the wake event comes up to ~250 ms after
 * it, plus the margin and the pending frame. */
const WAKE_HISTORY_FRAMES = 100;
/** Assumed frames of continuing silence for the early-commit test (the model's emission lag). */
const LOOKAHEAD_FRAMES = 24;
/** A complete command within this many nats of the best hypothesis allows early commit (about
 * one final phone that the model emits weakly). */
const COMPLETE_MARGIN = 7;

/** Phones a hypothesis may still lack at the end of its last word for early commit. */
const COMPLETE_SLACK = 3;

type State = "idle" | "listening" | "speaking";

/** What the stage keeps of a frame it has heard. */
interface Heard {
  /** What the acoustic model takes for this hop: its MFCC vector, or its samples. */
  input: Float32Array;
  /** First sample of the hop and stream time of its end. */
  sample: number;
  t: number;
  speech: boolean;
  silent: boolean;
}

/** The ASR frame stage. */
export class Recognizer implements FrameStage {
  /** The shared acoustic model. */
  readonly model: AcousticModel;
  /** This recognizer's stream on it. */
  readonly #am: AcousticStream;
  readonly graph: DecodingGraph;
  readonly decoder: CtcGrammarDecoder;
  readonly #cfg: RecognizerSettings;
  readonly #negThreshold: number;
  #state: State = "idle";
  #history: Heard[] = [];
  #listenT = 0;
  /** Stream seconds before which speech belongs to the wake phrase (wake trigger). */
  #commandFrom = 0;
  #speechStart = 0;
  #lastSpeech = 0;
  #silentFrames = 0;
  #frames = 0;
  #decodeMs = 0;
  #pendingWake: { t: number; from: number } | null = null;
  #vadStart: number | null = null;
  /** After a commit, the VAD segment must end before the VAD trigger listens again. */
  #awaitSilence = false;
  /** The transcript committed during the current onFrame/flush call (at most one). */
  #committed: TranscriptEvent | undefined;
  /** The accepted sentence the decoder has kept as its best, and since which decoder frame. */
  #stableText = "";
  #stableFrom = 0;
  #stableAt = -1;

  constructor(
    model: AcousticModel,
    graph: DecodingGraph,
    settings: RecognizerSettings,
    options: { negThreshold?: number; decoder?: DecoderOptions } = {},
  ) {
    this.model = model;
    this.#am = model.stream();
    this.graph = graph;
    this.#cfg = settings;
    this.#negThreshold = options.negThreshold ?? DEFAULTS.vad.negThreshold;
    this.decoder = new CtcGrammarDecoder(graph, {
      beamWidth: settings.beamWidth,
      ...options.decoder,
    });
  }

  /** The pipeline hands over the stream's VAD changes and wake words. */
  onEvent(e: WakeEvent | VadEvent): void {
    if (e.type === "vad") {
      if (e.state === "start") this.#vadStart = e.t;
      return;
    }
    if (this.#cfg.trigger !== "wake") return;
    // A new wake phrase before the command, or one that is all the "command" heard so far
    // (speech since at most a wake window before its end), starts over from its own end;
    // a wake event later in a command is part of the command.
    const from = (e.phraseEnd ?? e.sample) / SAMPLE_RATE;
    if (this.#state === "speaking" && from - this.#speechStart > WAKE_WINDOW_S) return;
    this.#pendingWake = { t: e.t, from };
  }

  /** The transcript committed since the last call, as the stage's result. */
  #result(): StageResult | undefined {
    const transcript = this.#committed;
    this.#committed = undefined;
    return transcript ? { transcript } : undefined;
  }

  /** Whether an utterance is being listened to. */
  get listening(): boolean {
    return this.#state !== "idle";
  }

  /**
   * Start listening for a command at stream time `t`. `prerollFrames` of the
   * frames already heard are decoded too (the VAD trigger fires only after
   * `minSpeechMs` of speech). `commandFrom` (stream seconds, wake trigger):
   * speech before it is the wake phrase, not the command; the decode then has
   * a lead-in ({@link LEAD_IN_FRAMES}).
   */
  async listen(t: number, prerollFrames = 0, commandFrom?: number): Promise<void> {
    if (this.#state !== "idle") return;
    this.#state = "listening";
    this.#listenT = t;
    this.#commandFrom = commandFrom ?? (this.#cfg.trigger === "wake" ? t : 0);
    this.#frames = 0;
    this.#decodeMs = 0;
    this.#silentFrames = 0;
    this.#resetDecoder(commandFrom === undefined ? 0 : LEAD_IN_FRAMES);
    const n = Math.min(prerollFrames, this.#history.length);
    const preroll = this.#history.slice(this.#history.length - n);
    await this.#am.reset(this.#history.slice(0, this.#history.length - n).map((h) => h.input));
    for (const h of preroll) {
      if (commandFrom === undefined) this.#feed(await this.#am.push(h.input));
      else if (this.listening) await this.#step(h); // replay; it may commit early
    }
  }

  /** One frame; returns the transcript when the command ended in it. */
  async onFrame(frame: AnalysisFrame): Promise<StageResult | undefined> {
    if (this.#pendingWake !== null) {
      const { t, from } = this.#pendingWake;
      this.#pendingWake = null;
      const start = Math.round(from * SAMPLE_RATE) - PHRASE_END_MARGIN_FRAMES * HOP;
      const n = this.#history.filter((h) => h.sample >= start).length;
      if (this.#state !== "idle") this.#state = "idle";
      await this.listen(t, n, from);
    }
    if (!frame.speech) this.#awaitSilence = false;
    if (
      this.#state === "idle" && this.#cfg.trigger === "vad" && frame.speech && !this.#awaitSilence
    ) {
      await this.listen(frame.t, PREROLL_FRAMES);
    }
    const heard: Heard = {
      input: Float32Array.from(this.model.input === "audio" ? frame.hop : frame.mfcc),
      sample: frame.sample,
      t: frame.t,
      speech: frame.speech,
      silent: frame.quiet || frame.vadProb < this.#negThreshold,
    };
    if (this.#state !== "idle") await this.#step(heard);
    this.#remember(heard);
    return this.#result();
  }

  /** One frame of an utterance: endpointing, acoustic model, decoder. */
  async #step(frame: Heard): Promise<void> {
    this.#frames++;
    const silent = frame.silent;
    if (this.#state === "listening") {
      if (frame.speech && !silent && frame.sample / SAMPLE_RATE >= this.#commandFrom) {
        this.#state = "speaking";
        this.#silentFrames = 0;
        // The VAD's start event marks the onset more precisely than this (delayed) frame.
        const onset = this.#vadStart !== null && this.#vadStart >= this.#listenT - 0.5 &&
            this.#vadStart <= frame.t
          ? this.#vadStart
          : frame.t - HOP_S;
        this.#speechStart = Math.max(this.#commandFrom, onset);
      } else if ((frame.t - this.#listenT) * 1000 >= this.#cfg.listenTimeoutMs) {
        this.#state = "idle";
        return;
      }
    }
    this.#feed(await this.#am.push(frame.input));
    if (this.#state !== "speaking") return;
    if (silent) this.#silentFrames++;
    else {
      this.#silentFrames = 0;
      this.#lastSpeech = frame.t;
    }
    const silenceMs = this.#silentFrames * HOP_S * 1000;
    const vadEnd = !frame.speech;
    const tooLong = (frame.t - this.#speechStart) * 1000 >= this.#cfg.maxUtteranceMs;
    if (vadEnd && this.#cfg.trigger === "wake" && this.#fragment()) {
      // A fragment before the command (the wake phrase's tail, a cough): keep listening.
      this.#state = "listening";
      this.#resetDecoder(0);
      return;
    }
    if (vadEnd || tooLong) return await this.#commit(frame.t);
    // Noise that never falls silent (babble, a television): the command is over when the same
    // sentence has been the best complete one, and accepted, for STABLE_FRAMES decoder frames.
    const stable = this.#stableResult();
    if (stable) return await this.#commit(frame.t, stable);
    if (silenceMs >= this.#cfg.earlyCommitMs && this.#silentFrames % 2 === 0) {
      // Early commit: the model emits a phone a little after hearing it, so ask what it
      // would emit if the silence went on; commit when that completes a command.
      const t0 = performance.now();
      const lp = await this.#am.peek(LOOKAHEAD_FRAMES);
      const speculative = this.decoder.clone();
      speculative.push(lp);
      this.#decodeMs += performance.now() - t0;
      if (speculative.complete(COMPLETE_MARGIN, COMPLETE_SLACK)) {
        const r = speculative.result();
        if (r.text && !(this.#cfg.trigger === "wake" && this.#fragment(r))) {
          await this.#commit(frame.t, r);
        }
      }
    }
  }

  /** A fresh decode (`leadIn` frames of free lead-in) with no sentence held stable yet. */
  #resetDecoder(leadIn: number): void {
    this.decoder.reset(leadIn);
    this.#stableText = "";
    this.#stableAt = -1;
  }

  /**
   * The decoder's best complete sentence once it has stayed the same, above the confidence
   * threshold and within {@link COMPLETE_MARGIN} nats of the best hypothesis for
   * {@link STABLE_FRAMES} decoder frames, else null. Words still being spoken after a complete
   * sentence ("set the light to fifty ... percent") soon put the hypotheses that go on far
   * ahead of it; quieter babble does not.
   */
  #stableResult(): DecodeResult | null {
    const frames = this.decoder.frames;
    if (frames === this.#stableAt) return null;
    this.#stableAt = frames;
    const r = this.decoder.result();
    if (
      this.decoder.completeFor >= STABLE_FRAMES && r.confidence >= this.#cfg.confidenceThreshold
    ) {
      return r;
    }
    if (
      !r.text || r.confidence < this.#cfg.confidenceThreshold ||
      !this.decoder.complete(COMPLETE_MARGIN)
    ) {
      this.#stableText = "";
      return null;
    }
    if (r.text !== this.#stableText) {
      this.#stableText = r.text;
      this.#stableFrom = frames;
      return null;
    }
    return frames - this.#stableFrom >= STABLE_FRAMES ? r : null;
  }

  /**
   * Whether the speech heard so far is no command: the decoder started no word, or the speech
   * was shorter than {@link FRAGMENT_S} and completes no sentence it would accept (`result`: a
   * speculative decode's, else the decoder's).
   */
  #fragment(result?: DecodeResult): boolean {
    if (!this.decoder.started) return true;
    if (this.#lastSpeech - this.#speechStart >= FRAGMENT_S) return false;
    const r = result ?? this.decoder.result();
    return !r.text || r.confidence < this.#cfg.confidenceThreshold;
  }

  #remember(heard: Heard): void {
    this.#history.push(heard);
    const keep = this.model.context +
      (this.#cfg.trigger === "wake" ? WAKE_HISTORY_FRAMES : PREROLL_FRAMES);
    if (this.#history.length > keep) this.#history.shift();
  }

  #feed(logProbs: Float32Array): void {
    if (logProbs.length === 0) return;
    const t0 = performance.now();
    this.decoder.push(logProbs);
    this.#decodeMs += performance.now() - t0;
  }

  /** Commit the transcript: `early` (a speculative decode's result) or the flushed decoder's. */
  async #commit(t: number, early?: DecodeResult): Promise<void> {
    let r = early;
    if (!r) {
      this.#feed(await this.#am.flush());
      r = this.decoder.result();
    }
    const decodeMs = this.#decodeMs + this.#am.computeMs;
    const event: TranscriptEvent = {
      type: "transcript",
      t,
      text: r.text,
      confidence: round3(r.confidence),
      start: round3(this.#speechStart),
      end: round3(Math.max(this.#speechStart, this.#lastSpeech)),
      decodeMs: Math.round(decodeMs * 10) / 10,
      alternatives: r.alternatives.map((a) => ({ text: a.text, confidence: round3(a.confidence) })),
      rejected: !r.text || r.confidence < this.#cfg.confidenceThreshold,
    };
    const command = r.text ? sentenceCommand(this.graph.grammar, r.text.split(" ")) : undefined;
    if (command) event.intent = command;
    this.#state = "idle";
    this.#awaitSilence = true;
    this.#committed = event;
  }

  /** End of stream: the transcript of a command still being spoken. */
  async flush(t: number): Promise<StageResult | undefined> {
    if (this.#state === "speaking") await this.#commit(t);
    this.#state = "idle";
    return this.#result();
  }

  /** Nothing to release: the acoustic model is shared. */
  close(): void {}
}

/** The decoder settings of a model card, checked (a bad value is an error naming the field). */
function cardDecoder(card: ModelCardJson, file: string): DecoderOptions {
  const b = card.decoder?.phoneBonus;
  if (b === undefined) return {};
  if (typeof b !== "number" || !Number.isFinite(b)) {
    throw new Error(`${file}: decoder.phoneBonus must be a number, got ${JSON.stringify(b)}`);
  }
  return { phoneBonus: b };
}

/** Calibration and provenance stored next to a model (`<model>.json`). */
export interface ModelCardJson {
  calibration?: { scale: number; offset: number };
  /** Decoder settings tuned for this model (scripts/asr/eval.ts). */
  decoder?: { phoneBonus?: number };
}

/** Acoustic models by chunk size and file: each session is loaded once and shared. */
const acousticModels = new Map<string, Promise<AcousticModel>>();

function sharedAcousticModel(path: string, chunkFrames: number): Promise<AcousticModel> {
  const key = `${chunkFrames}:${path}`;
  let m = acousticModels.get(key);
  if (!m) {
    m = AcousticModel.load(path, { chunkFrames });
    acousticModels.set(key, m);
    m.catch(() => acousticModels.delete(key)); // a failed load is tried again next time
  }
  return m;
}

/** Decoding graphs (and lexicon warnings) per grammar and lexicon settings, built once. */
const graphs = new WeakMap<
  WordGrammar,
  Map<string, Promise<{ graph: DecodingGraph; warnings: string[] }>>
>();

function sharedGraph(
  grammar: WordGrammar,
  settings: RecognizerSettings,
): Promise<{ graph: DecodingGraph; warnings: string[] }> {
  const options = {
    cmudict: settings.cmudict || undefined,
    espeak: settings.espeak,
    extra: settings.pronunciations,
  };
  const key = JSON.stringify(options);
  let byOptions = graphs.get(grammar);
  if (!byOptions) graphs.set(grammar, byOptions = new Map());
  let g = byOptions.get(key);
  if (!g) {
    g = buildLexicon(grammarWords(grammar), options).then(({ lexicon, warnings }) => ({
      graph: buildGraph(grammar, lexicon),
      warnings,
    }));
    byOptions.set(key, g);
    g.catch(() => byOptions.delete(key));
  }
  return g;
}

/**
 * Build the recognizer for a grammar: pronunciation lexicon (cmudict +
 * espeak-ng, warnings returned) and decoding graph, built once per grammar,
 * and a stream on the acoustic model, whose session is loaded once per file.
 * Uploads and grammar changes so create streams, not onnxruntime sessions.
 */
export async function createRecognizer(
  grammar: WordGrammar,
  settings: RecognizerSettings,
  options: { negThreshold?: number; modelPath?: string } = {},
): Promise<{ recognizer: Recognizer; warnings: string[] }> {
  const path = options.modelPath ?? (settings.model || DEFAULT_ASR_MODEL);
  const built = await sharedGraph(grammar, settings);
  const graph = built.graph;
  const warnings = [...built.warnings];
  const model = await sharedAcousticModel(path, settings.chunkFrames);
  let card: ModelCardJson = {};
  try {
    card = JSON.parse(await Deno.readTextFile(path.replace(/\.onnx$/, ".json")));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      warnings.push(`${path.replace(/\.onnx$/, ".json")}: ignored: ${(err as Error).message}`);
    }
  }
  const recognizer = new Recognizer(model, graph, settings, {
    negThreshold: options.negThreshold,
    decoder: { ...card.calibration, ...cardDecoder(card, path.replace(/\.onnx$/, ".json")) },
  });
  return { recognizer, warnings };
}
