import assert from "node:assert/strict";
import {
  Meyda,
  MfccExtractor,
  mfccOfSignal,
  PCM_SCALE,
  StreamingMfcc,
} from "../../pipeline/mfcc.ts";
import { loadAudioFile } from "../../audio/load.ts";
import { noise, RECORDINGS } from "../helpers/audio.ts";

const speech = await loadAudioFile(RECORDINGS.librivox);

function meydaReference(frame: Float32Array, melBands = 40, coeffs = 13): number[] {
  Meyda.sampleRate = 16000;
  Meyda.bufferSize = 512;
  Meyda.melBands = melBands;
  Meyda.numberOfMFCCCoefficients = coeffs;
  return Meyda.extract("mfcc", frame.map((v) => v * PCM_SCALE)) as number[];
}

Deno.test("fast MFCC equals Meyda.extract('mfcc') within 1e-4 on real speech frames", () => {
  const ex = new MfccExtractor();
  let worst = 0;
  for (let start = 8000; start + 512 < speech.length; start += 16000 / 7) {
    const frame = speech.slice(Math.round(start), Math.round(start) + 512);
    const ours = ex.compute(frame);
    const ref = meydaReference(frame);
    for (let k = 0; k < 13; k++) worst = Math.max(worst, Math.abs(ours[k] - ref[k]));
  }
  assert.ok(worst <= 1e-4, `max difference ${worst}`);
});

Deno.test("fast MFCC equals Meyda on noise, silence and full-scale frames, other band counts", () => {
  for (const [bands, coeffs] of [[40, 13], [26, 13], [64, 20]]) {
    const ex = new MfccExtractor({ melBands: bands, coefficients: coeffs });
    for (const frame of [noise(512, 0.5, 7), new Float32Array(512), noise(512, 1, 3)]) {
      const ours = ex.compute(frame);
      const ref = meydaReference(frame, bands, coeffs);
      for (let k = 0; k < coeffs; k++) {
        assert.ok(
          Math.abs(ours[k] - ref[k]) <= 1e-4 * Math.max(1, Math.abs(ref[k]) / 100),
          `${bands}/${k}`,
        );
      }
    }
  }
});

Deno.test("meyda's own mfcc extractor on our spectrum agrees with the fast path", () => {
  const ex = new MfccExtractor();
  const frame = speech.slice(20000, 20512);
  const a = ex.compute(frame);
  const b = ex.computeWithMeyda(frame);
  for (let k = 0; k < 13; k++) assert.ok(Math.abs(a[k] - b[k]) < 1e-3);
});

Deno.test("streaming frames equal frames cut from the whole signal (zeros before the start)", () => {
  const s = new StreamingMfcc();
  const ex = new MfccExtractor();
  const signal = speech.subarray(0, 16000);
  for (let k = 0; k < 100; k++) {
    const v = s.push(signal.subarray(k * 160, (k + 1) * 160)).slice();
    const end = (k + 1) * 160;
    const frame = new Float32Array(512);
    const from = Math.max(0, end - 512);
    frame.set(signal.subarray(from, end), 512 - (end - from));
    assert.deepEqual([...v], [...ex.compute(frame)], `frame ${k}`);
  }
  const whole = mfccOfSignal(signal);
  assert.equal(whole.frames, 100);
});

Deno.test("wrong frame or hop sizes and impossible settings are refused", () => {
  const ex = new MfccExtractor();
  assert.throws(() => ex.compute(new Float32Array(400)), /frame has 400 samples, expected 512/);
  assert.throws(() => new StreamingMfcc().push(new Float32Array(100)), /hop has 100 samples/);
  assert.throws(
    () => new MfccExtractor({ melBands: 10, coefficients: 13 }),
    /at least as many mel bands/,
  );
  assert.throws(() => new MfccExtractor({ size: 500 }), /power of two/);
});
