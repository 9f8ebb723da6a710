/**
 * What the front end hands to the model stages for every 10 ms hop.
 * @module
 */

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

/** A stage that consumes frames and may emit events through the bus it was given. */
export interface FrameStage {
  onFrame(frame: AnalysisFrame): void | Promise<void>;
  /** End of stream: emit whatever is pending. */
  flush?(t: number): void | Promise<void>;
  close?(): void | Promise<void>;
  /** Latest scores per model id, for the `level` events' live plot (wake detectors). */
  readonly scores?: Record<string, number>;
}
