/**
 * What the front end hands to the model stages for every 10 ms hop.
 * @module
 */

import type { TranscriptEvent, VadEvent, WakeEvent } from "../core/events.ts";

/** Hop (core/units.ts) and window sizes at 16 kHz. */
export { HOP } from "../core/units.ts";
export const WINDOW = 512;

/** One analysis frame: the newest 512 samples, ending at `sample + HOP`. */
export interface AnalysisFrame {
  /** Index of the first sample of this hop in the 16 kHz stream. */
  sample: number;
  /** Stream time in seconds of the hop's end (when the frame became available). */
  t: number;
  /** MFCC vector of the window (config.mfcc.coefficients long). */
  mfcc: Float32Array;
  /** RMS of the hop in dBFS. */
  db: number;
  /** VAD speech probability of the latest VAD chunk (0 when gated). */
  vadProb: number;
  /** VAD state after this frame (hysteresis applied). */
  speech: boolean;
  /** True when the energy gate found the hop silent. */
  quiet: boolean;
  /** The 160 new samples of this hop (a view; copy to keep). */
  hop: Float32Array;
}

/**
 * What a stage found in one frame (or at the end of the stream). The pipeline emits it to the
 * sinks and applies its policy (a wake word opens a full-rate VAD period, a transcript ends it).
 */
export interface StageResult {
  wake?: WakeEvent;
  transcript?: TranscriptEvent;
}

/**
 * A stage that consumes frames and returns what it found; the pipeline hands it the events of
 * other parts it reacts to (`onEvent`: wake words, VAD changes), so stages never listen to the
 * bus themselves. (The wake detector still emits its wake events on the bus it was given; the
 * pipeline applies the same policy to them and hands them to the other stages.)
 */
export interface FrameStage {
  onFrame(frame: AnalysisFrame): void | StageResult | Promise<void | StageResult>;
  /** End of stream: return whatever is pending. */
  flush?(t: number): void | StageResult | Promise<void | StageResult>;
  /** A `wake` or `vad` event of the stream, handed over by the pipeline as it happens. */
  onEvent?(event: WakeEvent | VadEvent): void;
  close?(): void | Promise<void>;
}

/** A stage with live scores per model id (wake detectors), shown in the `level` events. */
export interface ScoringStage extends FrameStage {
  readonly scores: Record<string, number>;
}

/** Whether `stage` reports live scores. */
export function hasScores(stage: FrameStage): stage is ScoringStage {
  const s = (stage as Partial<ScoringStage>).scores;
  return typeof s === "object" && s !== null;
}
