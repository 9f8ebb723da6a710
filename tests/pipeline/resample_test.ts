import assert from "node:assert/strict";
import { resample, Resampler } from "../../audio/resample.ts";
import { rms, tone } from "../helpers/audio.ts";

/** Level change in dB, ignoring the first and last 10 % (filter edges). */
const db = (out: Float32Array, inp: Float32Array) =>
  20 * Math.log10(rms(out, out.length / 10) / rms(inp, inp.length / 10));

Deno.test("a 7 kHz tone at 48 kHz survives resampling to 16 kHz", () => {
  const x = tone(7000, 48000, 1);
  const y = resample(x, 48000, 16000);
  assert.equal(y.length, 16000);
  assert.ok(db(y, x) > -1, `7 kHz lost ${db(y, x).toFixed(2)} dB`);
});

Deno.test("a 12 kHz tone at 48 kHz is attenuated by at least 50 dB (no aliasing to 4 kHz)", () => {
  const x = tone(12000, 48000, 1);
  const y = resample(x, 48000, 16000);
  assert.ok(db(y, x) <= -50, `12 kHz only attenuated ${db(y, x).toFixed(1)} dB`);
});

Deno.test("44.1 kHz: speech band passes, above 8 kHz is stopped", () => {
  for (const [f, pass] of [[1000, true], [6500, true], [9000, false], [15000, false]] as const) {
    const x = tone(f, 44100, 0.5);
    const d = db(resample(x, 44100, 16000), x);
    if (pass) assert.ok(d > -1, `${f} Hz: ${d.toFixed(2)} dB`);
    else assert.ok(d <= -50, `${f} Hz: ${d.toFixed(2)} dB`);
  }
});

Deno.test("upsampling 8 kHz telephone audio keeps the tone and its frequency", () => {
  const x = tone(1000, 8000, 0.5);
  const y = resample(x, 8000, 16000);
  assert.equal(y.length, 8000);
  assert.ok(Math.abs(db(y, x)) < 0.2);
  // zero crossings of a 1 kHz tone over 0.25 s: 500
  let zc = 0;
  for (let i = 2001; i < 6001; i++) if ((y[i - 1] < 0) !== (y[i] < 0)) zc++;
  assert.ok(Math.abs(zc - 500) <= 2, `zero crossings ${zc}`);
});

Deno.test("streaming in uneven chunks gives exactly the one-shot result", () => {
  const x = tone(3000, 22050, 0.3).map((v, i) => v + 0.1 * Math.sin(i / 7));
  const whole = resample(x, 22050, 16000);
  const r = new Resampler(22050, 16000);
  const parts: number[] = [];
  let i = 0;
  for (const n of [1, 7, 100, 3, 2048, 999]) {
    parts.push(...r.push(x.subarray(i, i + n)));
    i += n;
  }
  parts.push(...r.push(x.subarray(i)), ...r.flush());
  assert.equal(parts.length, whole.length);
  for (let k = 0; k < whole.length; k++) {
    assert.ok(Math.abs(parts[k] - whole[k]) < 1e-6, `sample ${k}`);
  }
});

Deno.test("equal rates pass through; bad rates are refused", () => {
  const x = tone(100, 16000, 0.01);
  assert.equal(resample(x, 16000, 16000), x);
  assert.throws(() => new Resampler(0, 16000), /rates must be positive integers/);
  assert.throws(() => new Resampler(44100.5, 16000), /rates must be positive integers/);
});

Deno.test("an awkward ratio (16001 Hz) computes taps on the fly and still works", () => {
  const x = tone(1000, 16001, 0.3);
  const y = resample(x, 16001, 16000);
  assert.ok(Math.abs(y.length - 4800) <= 1);
  assert.ok(Math.abs(db(y, x)) < 0.2);
});
