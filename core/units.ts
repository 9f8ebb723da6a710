/**
 * Units of the stream inside the pipeline: every stage sees 16 kHz mono samples in 10 ms hops,
 * and stream time is a sample index over {@link SAMPLE_RATE}.
 * @module
 */

/** Samples per second inside the pipeline. */
export const SAMPLE_RATE = 16000;

/** Samples per analysis hop (10 ms). */
export const HOP = 160;

/** Seconds per analysis hop. */
export const HOP_S = HOP / SAMPLE_RATE;

/** Stream samples in `ms` milliseconds (not rounded). */
export function msToSamples(ms: number): number {
  return (ms * SAMPLE_RATE) / 1000;
}
