import assert from "node:assert/strict";
import { analyzeLevels, meter, toDb, windowDb } from "../../audio/levels.ts";
import { noise, tone } from "../helpers/audio.ts";

/** 3 s at 16 kHz: a noise floor with one second of "speech" (a tone) of amplitude `amp`. */
function recording(amp: number, floor = 0.001): Float32Array {
  const x = noise(48000, floor, 7);
  const speech = tone(300, 16000, 1, amp);
  for (let i = 0; i < speech.length; i++) x[16000 + i] += speech[i];
  return x;
}

Deno.test("levels: dBFS of amplitudes and windows", () => {
  assert.equal(toDb(1), 0);
  assert.equal(toDb(0), -120);
  assert.ok(Math.abs(toDb(0.1) + 20) < 1e-9);
  // A full-scale sine has an RMS of -3 dBFS.
  assert.ok(Math.abs(windowDb(tone(1000, 16000, 1, 1)) + 3.01) < 0.05);
});

Deno.test("levels: speech at a good level is ok, with its level and floor", () => {
  const r = analyzeLevels(recording(0.2));
  assert.equal(r.verdict, "ok");
  assert.ok(Math.abs(r.loudDb - -17) < 1, `loud ${r.loudDb}`); // 0.2 sine: -17 dBFS RMS
  assert.ok(r.floorDb < -55 && r.floorDb > -70, `floor ${r.floorDb}`);
  assert.equal(r.clipped, 0);
  assert.match(r.advice, /nothing clipped/);
});

Deno.test("levels: a clipped recording says lower the gain", () => {
  const x = recording(3).map((v) => Math.max(-1, Math.min(1, v)));
  const r = analyzeLevels(x);
  assert.equal(r.verdict, "clipping");
  assert.ok(r.clipped > 0.1, `${r.clipped}`);
  assert.match(r.advice, /lower the capture gain/);
  // A few full-scale samples (a click) are not clipping.
  const click = recording(0.2);
  click[100] = 1;
  assert.equal(analyzeLevels(click).verdict, "ok");
});

Deno.test("levels: quiet speech is too quiet, nothing at all is silent", () => {
  const quiet = analyzeLevels(recording(0.005));
  assert.equal(quiet.verdict, "too quiet");
  assert.match(quiet.advice, /raise the capture gain/);
  const silent = analyzeLevels(new Float32Array(48000));
  assert.equal(silent.verdict, "silent");
  assert.equal(silent.peakDb, -120);
  assert.match(silent.advice, /muted, unplugged or the wrong device/);
  assert.equal(analyzeLevels(new Float32Array(0)).verdict, "silent");
});

Deno.test("level meter: -60..0 dBFS over the bar, clip mark", () => {
  assert.equal(meter(-60, false, 10), "[..........]   -60 dBFS");
  assert.equal(meter(-30, false, 10), "[#####.....]   -30 dBFS");
  assert.equal(meter(0, true, 10), "[##########]!    0 dBFS");
  assert.equal(meter(-120, false, 10), "[..........]  -120 dBFS");
});
