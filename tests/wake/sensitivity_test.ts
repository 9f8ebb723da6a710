/**
 * Wake sensitivity -> deciding threshold (wake/sensitivity.ts) and its bounds in the config
 * schema (wake.sensitivity, wake.minThreshold, wake.maxThreshold).
 */
import assert from "node:assert/strict";
import { sensitivityThreshold } from "../../wake/sensitivity.ts";
import { ConfigError, parseConfig } from "../../core/config.ts";
import { EventBus } from "../../core/bus.ts";
import { loadWakeModel, WakeDetector } from "../../wake/detector.ts";

const B = { minThreshold: 0.1, maxThreshold: 0.9 };

Deno.test("0.5 keeps the model's threshold; 1 reaches minThreshold, 0 maxThreshold, linear between", () => {
  const table: Array<[number, number]> = [
    [0, 0.9],
    [0.25, 0.7],
    [0.5, 0.5],
    [0.75, 0.3],
    [1, 0.1],
  ];
  for (const [s, t] of table) assert.equal(sensitivityThreshold(0.5, s, B), t, `s=${s}`);
  // An asymmetric model threshold: each half is linear to its own end.
  assert.equal(sensitivityThreshold(0.7, 0.75, B), 0.4);
  assert.equal(sensitivityThreshold(0.7, 0.25, B), 0.8);
  // A model threshold beyond a bound stays that end of the range.
  assert.equal(sensitivityThreshold(0.05, 1, B), 0.05);
  assert.equal(sensitivityThreshold(0.95, 0, B), 0.95);
  // More sensitive never means a higher threshold.
  let last = Infinity;
  for (let s = 0; s <= 1.0001; s += 0.05) {
    const t = sensitivityThreshold(0.62, Math.min(1, s), B);
    assert.ok(t <= last);
    last = t;
  }
});

Deno.test("a sensitivity outside 0..1 is a RangeError naming it", () => {
  for (const bad of [-0.1, 1.1, NaN, Infinity]) {
    assert.throws(
      () => sensitivityThreshold(0.5, bad, B),
      /wake sensitivity must be a number from 0 to 1/,
    );
  }
});

Deno.test("config: sensitivity and threshold bounds are checked with the path named", () => {
  const c = parseConfig({});
  assert.deepEqual([c.wake.sensitivity, c.wake.minThreshold, c.wake.maxThreshold], [
    0.5,
    0.1,
    0.95,
  ]);
  assert.equal(c.remote.stateFile, ".earshot/remote.json");
  assert.throws(() => parseConfig({ wake: { sensitivity: 1.5 } }), ConfigError);
  assert.throws(
    () => parseConfig({ wake: { sensitivity: 1.5 } }),
    /config: wake\.sensitivity: Too big/,
  );
  assert.throws(
    () => parseConfig({ wake: { minThreshold: 0.8, maxThreshold: 0.5 } }),
    /wake\.minThreshold: must be below wake\.maxThreshold \(0\.5\)/,
  );
  assert.throws(() => parseConfig({ remote: { stateFile: 3 } }), /remote\.stateFile/);
  assert.throws(() => parseConfig({ remote: { other: 1 } }), /remote/);
});

Deno.test("the detector decides at the mapped threshold (the real hey_computer model)", async () => {
  const config = parseConfig({});
  const m = await loadWakeModel(config.wake.models[0], config.wake, config.mfcc.coefficients);
  try {
    const d = new WakeDetector([m], { ...config.wake, sensitivity: 1 }, new EventBus());
    assert.equal(d.thresholds.hey_computer, config.wake.minThreshold);
    d.sensitivity = 0.5;
    assert.equal(d.thresholds.hey_computer, m.threshold);
    d.sensitivity = 0;
    assert.equal(d.thresholds.hey_computer, Math.max(config.wake.maxThreshold, m.threshold));
    assert.throws(() => (d.sensitivity = 2), RangeError);
    assert.equal(d.sensitivity, 0); // unchanged
  } finally {
    await m.model.session.release();
  }
});
