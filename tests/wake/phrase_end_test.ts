/**
 * The wake event's `phraseEnd`: where the wake phrase ends, estimated from the detector's raw
 * scores. Measured against the true end on real renderings (espeak-ng, flite, festival) of
 * "hey computer" followed by a command without a pause, where the end is known because the two
 * parts are rendered apart and joined.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../core/config.ts";
import type { WakeEvent } from "../../core/events.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { phraseEnd, WakeDetector } from "../../wake/detector.ts";
import { encodeWav } from "../../audio/wav.ts";
import { addFloor, concat, speak, trimSilence } from "../../scripts/asr/tts.ts";

Deno.test("phraseEnd: where the run of scores above the threshold began", () => {
  // Crossing between two windows is interpolated.
  assert.equal(phraseEnd([[1000, 0.1], [1640, 0.7], [2280, 0.9]], 0.5, 19200), 1427);
  // A run reaching back to the first score kept: that score's window.
  assert.equal(phraseEnd([[1000, 0.8], [1640, 0.9]], 0.5, 19200), 1000);
  // Smoothing carried the detection past a dip: the run before the dip counts.
  assert.equal(phraseEnd([[0, 0], [640, 0.5], [1280, 0.9], [1920, 0.3]], 0.5, 19200), 640);
  // Only one window length back.
  assert.equal(phraseEnd([[0, 0.9], [640, 0.9], [1280, 0.9]], 0.5, 700), 640);
  // No score above the threshold at all: the detection's window.
  assert.equal(phraseEnd([[0, 0.1], [640, 0.2]], 0.5, 19200), 640);
  assert.throws(() => phraseEnd([], 0.5, 19200), /phraseEnd needs at least one score/);
});

Deno.test("the wake event's phraseEnd is within 200 ms of the true end, closer than the event", async () => {
  const vad = await SileroModel.load();
  const config = parseConfig({});
  const voices = [
    "espeak:en-us",
    "espeak:en-us+m3",
    "espeak:en+f4",
    "espeak:en-gb-x-rp+f2",
    "flite:rms",
    "flite:slt",
    "flite:kal16",
    "festival:kal_diphone",
  ];
  const errors: number[] = [];
  const lags: number[] = [];
  for (const voice of voices) {
    const wake = trimSilence(await speak("hey computer", voice));
    const command = trimSilence(await speak("close the garage door", voice));
    // festival's kal is only detected with a pause after the phrase.
    const gap = voice.startsWith("festival") ? 0.8 : 0;
    const x = addFloor(concat([1, wake, gap, command, 1]));
    const end = 16000 + wake.length;
    const events = await runAudio(encodeWav(x, 16000), config, {
      vad,
      makeStages: async (bus) => [await WakeDetector.create(config.wake, bus)],
    });
    const wakes = events.filter((e): e is WakeEvent => e.type === "wake");
    assert.equal(wakes.length, 1, `${voice}: ${JSON.stringify(wakes)}`);
    const w = wakes[0];
    assert.ok(w.phraseEnd !== undefined && w.phraseEnd <= w.sample, JSON.stringify(w));
    errors.push((w.phraseEnd - end) / 16);
    lags.push((w.sample - end) / 16);
  }
  const median = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
  const report = `errors (ms) ${errors.map(Math.round)}; event lags ${lags.map(Math.round)}`;
  for (const e of errors) assert.ok(Math.abs(e) <= 200, report);
  assert.ok(median(errors.map(Math.abs)) < median(lags.map(Math.abs)), report);
});
