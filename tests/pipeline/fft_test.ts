import assert from "node:assert/strict";
import { RealFft } from "../../pipeline/dsp/fft.ts";
import { noise } from "../helpers/audio.ts";

/** Direct DFT magnitudes, the definition. */
function dft(x: Float32Array): number[] {
  const n = x.length;
  return Array.from({ length: n / 2 }, (_, k) => {
    let re = 0;
    let im = 0;
    for (let t = 0; t < n; t++) {
      re += x[t] * Math.cos((2 * Math.PI * k * t) / n);
      im -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
    }
    return Math.hypot(re, im);
  });
}

Deno.test("real FFT magnitudes equal the direct DFT for several sizes", () => {
  for (const n of [4, 8, 64, 512]) {
    const x = noise(n, 1, n);
    const out = new Float64Array(n / 2);
    new RealFft(n).magnitude(x, out);
    const ref = dft(x);
    for (let k = 0; k < n / 2; k++) {
      assert.ok(Math.abs(out[k] - ref[k]) < 1e-9 * n, `n=${n} k=${k}`);
    }
  }
});

Deno.test("a pure tone lands in its bin; sizes that are not powers of two are refused", () => {
  const n = 512;
  const x = new Float32Array(n).map((_, t) => Math.cos((2 * Math.PI * 32 * t) / n));
  const out = new Float64Array(n / 2);
  new RealFft(n).magnitude(x, out);
  assert.ok(Math.abs(out[32] - n / 2) < 1e-4);
  assert.ok(out[31] < 1e-4 && out[33] < 1e-4); // float32 input rounding only
  assert.throws(() => new RealFft(500), /power of two/);
});
