/**
 * Streaming band-limited resampler (Kaiser-windowed sinc, polyphase for
 * rational ratios). The low-pass sits at 0.94 x the lower Nyquist frequency,
 * so a 7 kHz tone passes into 16 kHz output and content above 8 kHz is
 * attenuated by more than 50 dB instead of aliasing back.
 * @module
 */

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

/** Resampler options. */
export interface ResamplerOptions {
  /** Sinc zero crossings on each side (quality vs cost). Default 24. */
  zeroCrossings?: number;
  /** Kaiser beta (stop-band depth). Default 9 (~90 dB side lobes). */
  beta?: number;
  /** Cut-off as a fraction of the lower Nyquist frequency. Default 0.94. */
  rolloff?: number;
}

/**
 * Converts a stream from `inRate` to `outRate`. Feed chunks with {@link push};
 * each call returns the output samples that are fully determined so far, and
 * {@link flush} returns the tail. Equal rates pass through unchanged.
 */
export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  #up: number;
  #down: number;
  #half: number; // filter half-width in input samples
  #taps: number;
  #table: Float32Array[] | null; // per phase, or null when computed on the fly
  #cutoff: number; // normalized to the input rate (cycles/sample)
  #beta: number;
  #zeroCrossings: number;
  #buf = new Float32Array(0);
  #bufStart = 0; // input index of #buf[0]
  #inCount = 0; // input samples received
  #outIndex = 0; // next output sample

  constructor(inRate: number, outRate: number, options: ResamplerOptions = {}) {
    if (!(inRate > 0 && outRate > 0 && Number.isInteger(inRate) && Number.isInteger(outRate))) {
      throw new RangeError(
        `Resampler: rates must be positive integers (got ${inRate} -> ${outRate})`,
      );
    }
    this.inRate = inRate;
    this.outRate = outRate;
    const g = gcd(inRate, outRate);
    this.#up = outRate / g;
    this.#down = inRate / g;
    this.#zeroCrossings = options.zeroCrossings ?? 24;
    this.#beta = options.beta ?? 9;
    const rolloff = options.rolloff ?? 0.94;
    this.#cutoff = (0.5 * rolloff * Math.min(inRate, outRate)) / inRate;
    this.#half = Math.ceil(this.#zeroCrossings / (2 * this.#cutoff));
    this.#taps = 2 * this.#half;
    this.#table = this.#up <= 1024 && inRate !== outRate
      ? Array.from({ length: this.#up }, (_, p) => this.#phaseTaps(p / this.#up))
      : null;
  }

  /** Filter taps for fractional position `frac` in [0,1): tap k sits at input floor(pos) - half + 1 + k. */
  #phaseTaps(frac: number): Float32Array {
    const taps = new Float32Array(this.#taps);
    const fc = this.#cutoff;
    const half = this.#half;
    const i0b = besselI0(this.#beta);
    let sum = 0;
    for (let k = 0; k < this.#taps; k++) {
      const x = k - half + 1 - frac; // distance from the output position in input samples
      const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
      const r = x / half;
      const w = Math.abs(r) >= 1 ? 0 : besselI0(this.#beta * Math.sqrt(1 - r * r)) / i0b;
      taps[k] = sinc * w;
      sum += taps[k];
    }
    for (let k = 0; k < this.#taps; k++) taps[k] /= sum; // unity DC gain
    return taps;
  }

  /** Delay of the filter in output samples is zero: output n is centred on input n*in/out. */
  push(input: Float32Array): Float32Array {
    if (this.inRate === this.outRate) {
      this.#inCount += input.length;
      return input.slice();
    }
    this.#append(input);
    return this.#produce(false);
  }

  /** Emit the remaining output, treating samples after the end as zeros. */
  flush(): Float32Array {
    if (this.inRate === this.outRate) return new Float32Array(0);
    return this.#produce(true);
  }

  #append(input: Float32Array) {
    const merged = new Float32Array(this.#buf.length + input.length);
    merged.set(this.#buf);
    merged.set(input, this.#buf.length);
    this.#buf = merged;
    this.#inCount += input.length;
  }

  #produce(final: boolean): Float32Array {
    const up = this.#up;
    const down = this.#down;
    const half = this.#half;
    const taps = this.#taps;
    // Output n needs inputs up to floor(n*down/up) + half.
    const totalOut = final ? Math.ceil((this.#inCount * up) / down) : Infinity;
    // Upper bound of outputs available now: inputs up to #inCount - 1 - half.
    const bound = final
      ? totalOut - this.#outIndex
      : Math.max(0, Math.floor(((this.#inCount - half) * up) / down) - this.#outIndex + 1);
    const out = new Float32Array(Math.max(0, bound));
    const buf = this.#buf;
    let produced = 0;
    while (this.#outIndex < totalOut && produced < out.length) {
      const num = this.#outIndex * down;
      const base = Math.floor(num / up);
      const phase = num - base * up;
      if (!final && base + half >= this.#inCount) break;
      const coeffs = this.#table ? this.#table[phase] : this.#phaseTaps(phase / up);
      const idx0 = base - half + 1 - this.#bufStart;
      let acc = 0;
      if (idx0 >= 0 && idx0 + taps <= buf.length) {
        for (let k = 0; k < taps; k++) acc += coeffs[k] * buf[idx0 + k];
      } else {
        for (let k = 0; k < taps; k++) {
          const idx = idx0 + k;
          if (idx >= 0 && idx < buf.length) acc += coeffs[k] * buf[idx];
        }
      }
      out[produced++] = acc;
      this.#outIndex++;
    }
    // Drop input no longer needed by the next output.
    const nextBase = Math.floor((this.#outIndex * down) / up);
    const keepFrom = nextBase - half + 1;
    const drop = keepFrom - this.#bufStart;
    if (drop > 0) {
      this.#buf = this.#buf.slice(Math.min(drop, this.#buf.length));
      this.#bufStart += drop;
    }
    return produced === out.length ? out : out.slice(0, produced);
  }
}

/** Resample a whole signal at once. */
export function resample(input: Float32Array, inRate: number, outRate: number): Float32Array {
  if (inRate === outRate) return input;
  const r = new Resampler(inRate, outRate);
  const a = r.push(input);
  const b = r.flush();
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
