/**
 * Real-input FFT for the MFCC front end's fixed 512-point frames: one complex
 * FFT of half the size on the even/odd samples packed as re/im, then the usual
 * split step. Twiddles and bit reversal are precomputed; no allocation per call.
 * @module
 */

/** A fixed-size real FFT that writes the magnitude spectrum of a frame. */
export class RealFft {
  readonly size: number;
  #half: number;
  #re: Float64Array;
  #im: Float64Array;
  #cos: Float64Array; // twiddles of the half-size FFT
  #sin: Float64Array;
  #splitCos: Float64Array; // twiddles of the split step (size N)
  #splitSin: Float64Array;
  #rev: Uint32Array;

  constructor(size: number) {
    if (size < 4 || (size & (size - 1)) !== 0) {
      throw new RangeError(`RealFft: size must be a power of two >= 4 (got ${size})`);
    }
    this.size = size;
    const m = size / 2;
    this.#half = m;
    this.#re = new Float64Array(m);
    this.#im = new Float64Array(m);
    this.#cos = new Float64Array(m / 2);
    this.#sin = new Float64Array(m / 2);
    for (let i = 0; i < m / 2; i++) {
      this.#cos[i] = Math.cos((2 * Math.PI * i) / m);
      this.#sin[i] = -Math.sin((2 * Math.PI * i) / m);
    }
    this.#splitCos = new Float64Array(m);
    this.#splitSin = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      this.#splitCos[k] = Math.cos((2 * Math.PI * k) / size);
      this.#splitSin[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.#rev = new Uint32Array(m);
    const bits = Math.log2(m);
    for (let i = 0; i < m; i++) {
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
    const m = this.#half;
    const re = this.#re;
    const im = this.#im;
    const rev = this.#rev;
    for (let i = 0; i < m; i++) {
      const j = rev[i];
      re[j] = input[2 * i];
      im[j] = input[2 * i + 1];
    }
    const cos = this.#cos;
    const sin = this.#sin;
    for (let len = 2; len <= m; len <<= 1) {
      const half = len >> 1;
      const step = m / len;
      for (let start = 0; start < m; start += len) {
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
    // Split: X[k] = E[k] + W^k O[k], E = (Z[k] + conj Z[m-k]) / 2, O = (Z[k] - conj Z[m-k]) / 2i.
    out[0] = Math.abs(re[0] + im[0]);
    const sc = this.#splitCos;
    const ss = this.#splitSin;
    for (let k = 1; k < m; k++) {
      const zr = re[k];
      const zi = im[k];
      const cr = re[m - k];
      const ci = -im[m - k];
      const er = (zr + cr) / 2;
      const ei = (zi + ci) / 2;
      // (Z - conj) / 2i = (dr + i di) / 2i = (di - i dr) / 2
      const dr = zr - cr;
      const di = zi - ci;
      const or = di / 2;
      const oi = -dr / 2;
      const xr = er + sc[k] * or - ss[k] * oi;
      const xi = ei + sc[k] * oi + ss[k] * or;
      out[k] = Math.sqrt(xr * xr + xi * xi);
    }
  }
}
