/**
 * MFCC front end built on meyda: meyda's mel filterbank, window and MFCC
 * definition (DCT-II, scale 2, of ln(1 + mel power)), computed on a spectrum
 * from our own allocation-free FFT with a precomputed sparse filterbank and
 * DCT matrix. Samples are scaled to the 16-bit range first (x 32768) so that
 * ln(1 + power) behaves like a log for any audible sound.
 *
 * `Meyda.extract("mfcc")` on the same scaled frame gives the same numbers
 * (tests/pipeline/mfcc_test.ts checks 1e-4); training features are dumped
 * with this very class (scripts/features.ts), so train and serve never differ.
 * @module
 */
import M from "meyda";
import { RealFft } from "./dsp/fft.ts";
import { HOP, WINDOW } from "./frame.ts";
import { SAMPLE_RATE } from "../core/units.ts";

/** meyda is CommonJS behind an ESM type. */
export const Meyda = M as unknown as typeof M.default;

/** Scale from float samples to the 16-bit integer range. */
export const PCM_SCALE = 32768;

/** MFCC parameters (see config.mfcc). */
export interface MfccOptions {
  sampleRate?: number;
  /** Analysis window; a power of two. */
  size?: number;
  melBands?: number;
  coefficients?: number;
}

/**
 * Configure meyda's global state and return its filterbank and window for
 * these parameters. meyda caches the filterbank globally, so every caller goes
 * through here.
 */
export function meydaSetup(sampleRate: number, size: number, melBands: number, coeffs: number) {
  Meyda.sampleRate = sampleRate;
  Meyda.bufferSize = size;
  Meyda.melBands = melBands;
  Meyda.numberOfMFCCCoefficients = coeffs;
  Meyda.windowingFunction = "hanning";
  // Forces meyda to (re)build its filterbank for these parameters.
  (Meyda as unknown as { melFilterBank?: unknown }).melFilterBank = undefined;
  Meyda.extract("mfcc", new Float32Array(size));
  const bank = (Meyda as unknown as { melFilterBank: number[][] }).melFilterBank;
  const window = Meyda.windowing(new Float32Array(size).fill(1), "hanning") as Float32Array;
  return { bank, window: Float64Array.from(window) };
}

/** Stateless MFCC of one frame. */
export class MfccExtractor {
  readonly size: number;
  readonly melBands: number;
  readonly coefficients: number;
  readonly sampleRate: number;
  #fft: RealFft;
  #window: Float64Array;
  #frame: Float64Array;
  #amp: Float64Array;
  #bankStart: Int32Array;
  #bankWeights: Float64Array[];
  #dct: Float64Array;
  #logMel: Float64Array;
  /** meyda's filterbank rows (for the meyda extractor path). */
  readonly meydaBank: number[][];

  constructor(options: MfccOptions = {}) {
    this.sampleRate = options.sampleRate ?? SAMPLE_RATE;
    this.size = options.size ?? WINDOW;
    this.melBands = options.melBands ?? 40;
    this.coefficients = options.coefficients ?? 13;
    if (this.coefficients > this.melBands) {
      throw new RangeError(
        `mfcc: ${this.coefficients} coefficients need at least as many mel bands (got ${this.melBands})`,
      );
    }
    this.#fft = new RealFft(this.size);
    const { bank, window } = meydaSetup(
      this.sampleRate,
      this.size,
      this.melBands,
      this.coefficients,
    );
    this.meydaBank = bank;
    this.#window = window;
    this.#frame = new Float64Array(this.size);
    this.#amp = new Float64Array(this.size / 2);
    const bins = this.size / 2; // meyda uses bins 0..size/2-1
    this.#bankStart = new Int32Array(bank.length);
    this.#bankWeights = bank.map((row, m) => {
      let first = -1;
      let last = -1;
      for (let j = 0; j < bins; j++) {
        if (row[j] !== 0) {
          if (first < 0) first = j;
          last = j;
        }
      }
      this.#bankStart[m] = Math.max(first, 0);
      return first < 0 ? new Float64Array(0) : Float64Array.from(row.slice(first, last + 1));
    });
    const n = bank.length;
    this.#dct = new Float64Array(this.coefficients * n);
    for (let k = 0; k < this.coefficients; k++) {
      for (let j = 0; j < n; j++) {
        this.#dct[k * n + j] = 2 * Math.cos((Math.PI / n) * (j + 0.5) * k);
      }
    }
    this.#logMel = new Float64Array(n);
  }

  /** Magnitude spectrum (size/2 bins) of a frame of float samples, scaled and windowed. */
  spectrum(frame: ArrayLike<number>): Float64Array {
    const f = this.#frame;
    const w = this.#window;
    for (let i = 0; i < this.size; i++) f[i] = frame[i] * PCM_SCALE * w[i];
    this.#fft.magnitude(f, this.#amp);
    return this.#amp;
  }

  /** MFCC of `frame` (length size, float samples in [-1, 1]) into `out`. */
  compute(frame: ArrayLike<number>, out = new Float32Array(this.coefficients)): Float32Array {
    if (frame.length !== this.size) {
      throw new RangeError(`mfcc: frame has ${frame.length} samples, expected ${this.size}`);
    }
    const amp = this.spectrum(frame);
    const logMel = this.#logMel;
    for (let m = 0; m < this.#bankWeights.length; m++) {
      const wts = this.#bankWeights[m];
      const start = this.#bankStart[m];
      let sum = 0;
      for (let j = 0; j < wts.length; j++) {
        const a = amp[start + j];
        sum += wts[j] * a * a;
      }
      logMel[m] = Math.log(sum + 1);
    }
    const n = logMel.length;
    const dct = this.#dct;
    for (let k = 0; k < this.coefficients; k++) {
      let acc = 0;
      for (let j = 0, o = k * n; j < n; j++) acc += dct[o + j] * logMel[j];
      out[k] = acc;
    }
    return out;
  }

  /** The same MFCC through meyda's own extractor function (slower; for parity checks). */
  computeWithMeyda(frame: ArrayLike<number>): Float32Array {
    const amp = Float32Array.from(this.spectrum(frame));
    const mfcc = Meyda.featureExtractors.mfcc({
      ampSpectrum: amp,
      melFilterBank: this.meydaBank,
      numberOfMFCCCoefficients: this.coefficients,
      bufferSize: this.size,
    }) as number[];
    return Float32Array.from(mfcc);
  }
}

/**
 * Streaming MFCC: feed 160-sample hops, get one vector per hop computed over
 * the newest 512 samples (zeros before the stream start). Frame k covers
 * samples [(k+1)*160 - 512, (k+1)*160).
 */
export class StreamingMfcc {
  readonly extractor: MfccExtractor;
  #ring: Float32Array;
  #frame: Float32Array;
  #pos = 0;

  constructor(options: MfccOptions = {}) {
    this.extractor = new MfccExtractor(options);
    this.#ring = new Float32Array(this.extractor.size);
    this.#frame = new Float32Array(this.extractor.size);
  }

  /** Push one hop (160 samples); returns a fresh MFCC vector. */
  push(hop: Float32Array): Float32Array {
    if (hop.length !== HOP) {
      throw new RangeError(`mfcc: hop has ${hop.length} samples, expected ${HOP}`);
    }
    const size = this.#ring.length;
    for (let i = 0; i < hop.length; i++) {
      this.#ring[this.#pos] = hop[i];
      this.#pos = (this.#pos + 1) % size;
    }
    // Unroll the ring, oldest first.
    this.#frame.set(this.#ring.subarray(this.#pos));
    this.#frame.set(this.#ring.subarray(0, this.#pos), size - this.#pos);
    return this.extractor.compute(this.#frame);
  }

  /** The current 512-sample window, oldest first (a view valid until the next push). */
  get window(): Float32Array {
    return this.#frame;
  }

  /** Forget the history (new stream). */
  reset(): void {
    this.#ring.fill(0);
    this.#pos = 0;
  }
}

/** MFCC matrix [frames x coefficients] of a whole 16 kHz signal, exactly as streamed. */
export function mfccOfSignal(samples: Float32Array, options: MfccOptions = {}): {
  frames: number;
  coefficients: number;
  data: Float32Array;
} {
  const s = new StreamingMfcc(options);
  const frames = Math.floor(samples.length / HOP);
  const c = s.extractor.coefficients;
  const data = new Float32Array(frames * c);
  for (let k = 0; k < frames; k++) {
    data.set(s.push(samples.subarray(k * HOP, (k + 1) * HOP)), k * c);
  }
  return { frames, coefficients: c, data };
}
