/**
 * Real-input radix-2 FFT with precomputed twiddles and bit reversal, for the
 * MFCC front end's fixed 512-point frames. No allocation per call.
 * @module
 */

/** A fixed-size FFT that writes the magnitude spectrum of a real frame. */
export class RealFft {
  readonly size: number;
  #re: Float64Array;
  #im: Float64Array;
  #cos: Float64Array;
  #sin: Float64Array;
  #rev: Uint32Array;

  constructor(size: number) {
    if (size < 2 || (size & (size - 1)) !== 0) {
      throw new RangeError(`RealFft: size must be a power of two (got ${size})`);
    }
    this.size = size;
    this.#re = new Float64Array(size);
    this.#im = new Float64Array(size);
    this.#cos = new Float64Array(size / 2);
    this.#sin = new Float64Array(size / 2);
    for (let i = 0; i < size / 2; i++) {
      this.#cos[i] = Math.cos((2 * Math.PI * i) / size);
      this.#sin[i] = -Math.sin((2 * Math.PI * i) / size);
    }
    this.#rev = new Uint32Array(size);
    const bits = Math.log2(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.#rev[i] = r;
    }
  }

  /**
   * Magnitudes |X[k]| for k = 0..size/2-1 of `input` (length `size`) written to
   * `out` (length >= size/2).
   */
  magnitude(input: ArrayLike<number>, out: Float32Array | Float64Array): void {
    const n = this.size;
    const re = this.#re;
    const im = this.#im;
    const rev = this.#rev;
    for (let i = 0; i < n; i++) {
      re[rev[i]] = input[i];
      im[i] = 0;
    }
    const cos = this.#cos;
    const sin = this.#sin;
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let j = 0, t = 0; j < half; j++, t += step) {
          const a = start + j;
          const b = a + half;
          const wr = cos[t];
          const wi = sin[t];
          const xr = re[b] * wr - im[b] * wi;
          const xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr;
          im[b] = im[a] - xi;
          re[a] += xr;
          im[a] += xi;
        }
      }
    }
    for (let k = 0; k < n / 2; k++) out[k] = Math.sqrt(re[k] * re[k] + im[k] * im[k]);
  }
}
