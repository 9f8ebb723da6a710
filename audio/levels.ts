/**
 * Microphone level check (pure): a text level meter and a verdict on a few
 * seconds of recording: clipping, too quiet, silent (a muted or dead input)
 * or fine. `earshot mics` (audio/mics.ts) records and prints these.
 * @module
 */

/** Levels of a recording, in dBFS (full scale = 0 dB). */
export interface LevelReport {
  /** RMS of the whole recording. */
  rmsDb: number;
  /** Largest absolute sample. */
  peakDb: number;
  /** Loudest 100 ms window (RMS): the level of speech when the owner spoke. */
  loudDb: number;
  /** Quietest 100 ms window (RMS): the noise floor. */
  floorDb: number;
  /** Fraction of samples at (or within 0.1% of) full scale. */
  clipped: number;
  verdict: "ok" | "clipping" | "too quiet" | "silent";
  /** One sentence for the owner: what was found and what to do. */
  advice: string;
}

/** Thresholds of {@link analyzeLevels}. */
export const LEVEL_LIMITS = {
  /** Samples within this of full scale count as clipped. */
  clipLevel: 0.999,
  /** More than this fraction clipped: clipping. */
  maxClipped: 0.001,
  /** Loudest window below this: too quiet (speech at arm's length should reach -35 dBFS). */
  quietDb: -40,
  /** Peak below this: silent (muted, wrong input, unplugged). */
  silentDb: -80,
};

/** dBFS of an amplitude (or RMS); -120 for zero. */
export function toDb(x: number): number {
  return x > 0 ? Math.max(-120, 20 * Math.log10(x)) : -120;
}

/** RMS of `x[from, to)` in dBFS. */
export function windowDb(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return to > from ? toDb(Math.sqrt(s / (to - from))) : -120;
}

/**
 * Analyze a recording (mono float in [-1, 1]) in windows of `window` samples.
 * @example
 * ```ts
 * analyzeLevels(new Float32Array(16000)).verdict; // "silent"
 * ```
 */
export function analyzeLevels(x: Float32Array, window = 1600): LevelReport {
  let peak = 0;
  let clippedN = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a > peak) peak = a;
    if (a >= LEVEL_LIMITS.clipLevel) clippedN++;
  }
  let loud = -120;
  let floor = 0;
  let windows = 0;
  for (let i = 0; i + window <= x.length; i += window, windows++) {
    const db = windowDb(x, i, i + window);
    loud = Math.max(loud, db);
    floor = windows === 0 ? db : Math.min(floor, db);
  }
  if (windows === 0) loud = floor = windowDb(x);
  const r = {
    rmsDb: round(windowDb(x)),
    peakDb: round(toDb(peak)),
    loudDb: round(loud),
    floorDb: round(floor),
    clipped: x.length ? clippedN / x.length : 0,
  };
  const pct = (r.clipped * 100).toFixed(2);
  if (r.clipped > LEVEL_LIMITS.maxClipped) {
    return {
      ...r,
      verdict: "clipping",
      advice: `${pct}% of samples at full scale: lower the capture gain (alsamixer, F4) ` +
        `until the loudest speech peaks below -3 dBFS`,
    };
  }
  if (r.peakDb < LEVEL_LIMITS.silentDb) {
    return {
      ...r,
      verdict: "silent",
      advice: "no signal: the input is muted, unplugged or the wrong device " +
        "(unmute capture in alsamixer, F4, or pick another device from the list)",
    };
  }
  if (r.loudDb < LEVEL_LIMITS.quietDb) {
    return {
      ...r,
      verdict: "too quiet",
      advice: `loudest 100 ms at ${r.loudDb} dBFS (want above ${LEVEL_LIMITS.quietDb}): ` +
        "raise the capture gain (alsamixer, F4) or move the microphone closer",
    };
  }
  return {
    ...r,
    verdict: "ok",
    advice: `speech reached ${r.loudDb} dBFS over a ${r.floorDb} dBFS floor, nothing clipped`,
  };
}

/**
 * A text level meter: `[#########.........................] -32 dBFS` from
 * -60 to 0 dBFS, with `!` at the end when the window clipped.
 */
export function meter(db: number, clipped = false, width = 40): string {
  const filled = Math.round(Math.min(1, Math.max(0, (db + 60) / 60)) * width);
  const bar = "#".repeat(filled) + ".".repeat(width - filled);
  return `[${bar}]${clipped ? "!" : " "} ${db.toFixed(0).padStart(4)} dBFS`;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
