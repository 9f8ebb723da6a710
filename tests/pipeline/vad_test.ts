import assert from "node:assert/strict";
import { levelDb, SileroModel, VadHysteresis, VoiceActivity } from "../../pipeline/vad.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { parseConfig } from "../../core/config.ts";
import { encodeWav } from "../../audio/wav.ts";
import { loadAudioFile } from "../../audio/load.ts";
import type { VadEvent } from "../../core/events.ts";
import { noise, RECORDINGS, rms } from "../helpers/audio.ts";

const opts = { threshold: 0.5, negThreshold: 0.35, minSpeechMs: 64, minSilenceMs: 96, padMs: 0 };

Deno.test("hysteresis: start after minSpeechMs above threshold, end after minSilenceMs below", () => {
  const h = new VadHysteresis(opts);
  const probs = [0.1, 0.6, 0.4, 0.7, 0.2, 0.1, 0.1, 0.1, 0.9];
  const changes = probs.map((p, i) => h.push(i * 512, 512, p));
  // chunk 1 starts a candidate; chunk 2 (0.4 >= neg) keeps it; 64 ms reached at the end of chunk 2
  assert.deepEqual(changes[2], { state: "start", sample: 512, probability: 0.6 });
  // chunk 4 starts silence; 96 ms reached at the end of chunk 6
  assert.deepEqual(changes[6], { state: "end", sample: 4 * 512, probability: 0.2 });
  assert.equal(changes.filter(Boolean).length, 2);
});

Deno.test("hysteresis: a short blip is not speech, a short dip does not end speech", () => {
  const h = new VadHysteresis({ ...opts, minSpeechMs: 100 });
  assert.equal(h.push(0, 512, 0.9), null);
  assert.equal(h.push(512, 512, 0.1), null); // blip cancelled
  assert.equal(h.speaking, false);
  for (let i = 2; i < 6; i++) h.push(i * 512, 512, 0.9);
  assert.equal(h.speaking, true);
  assert.equal(h.push(6 * 512, 512, 0.1), null); // dip of 32 ms
  assert.equal(h.push(7 * 512, 512, 0.8), null);
  assert.equal(h.speaking, true);
  assert.deepEqual(h.finish(9000), { state: "end", sample: 9000, probability: 0 });
  assert.equal(h.finish(9000), null);
});

Deno.test("hysteresis: padding moves the start earlier but never before 0; bad thresholds refused", () => {
  const h = new VadHysteresis({ ...opts, minSpeechMs: 0, padMs: 100 });
  assert.deepEqual(h.push(512, 512, 0.9), { state: "start", sample: 0, probability: 0.9 });
  assert.throws(() => new VadHysteresis({ ...opts, negThreshold: 0.6 }), /must not exceed/);
});

Deno.test("energy gate: digital silence skips the model", async () => {
  const vad = await SileroModel.load();
  const va = new VoiceActivity(vad, { ...opts, energyGateDb: -55 });
  for (let i = 0; i < 20; i++) await va.push(new Float32Array(512), i * 512);
  assert.equal(va.modelRuns, 0);
  assert.equal(levelDb(new Float32Array(10)), -120);
  const step = await va.push(noise(512, 0.3), 20 * 512);
  assert.equal(step.quiet, false);
  assert.equal(va.modelRuns, 1);
});

Deno.test("Silero model: wrong chunk size and a non-VAD model are refused", async () => {
  const vad = await SileroModel.load();
  await assert.rejects(
    vad.stream().process(new Float32Array(100)),
    /chunk has 100 samples, expected 512/,
  );
  await assert.rejects(SileroModel.load("/nonexistent/vad.onnx"), /model file not found/);
});

/** The speech extent of a clean clip: first and last 10 ms frame within 25 dB of the loudest. */
function speechExtent(x: Float32Array): [number, number] {
  const levels: number[] = [];
  for (let i = 0; i + 160 <= x.length; i += 160) levels.push(levelDb(x.subarray(i, i + 160)));
  const peak = Math.max(...levels);
  const first = levels.findIndex((l) => l > peak - 25);
  const last = levels.length - 1 - [...levels].reverse().findIndex((l) => l > peak - 25);
  return [first * 160, (last + 1) * 160];
}

/** Lay clips into background at given offsets, speech scaled to `snrDb` over the background. */
function mix(background: Float32Array, clips: Float32Array[], at: number[], snrDb: number) {
  const out = background.slice();
  const bg = rms(background);
  for (const [i, clip] of clips.entries()) {
    const [s, e] = speechExtent(clip);
    const gain = (bg * 10 ** (snrDb / 20)) / rms(clip.subarray(s, e));
    for (let k = 0; k < clip.length; k++) out[at[i] + k] += clip[k] * gain;
  }
  return out;
}

async function vadEvents(samples: Float32Array): Promise<VadEvent[]> {
  const events = await runAudio(encodeWav(samples, 16000, 32), parseConfig({}));
  return events.filter((e): e is VadEvent => e.type === "vad");
}

async function checkRegions(background: Float32Array, label: string) {
  const goforward = await Deno.readFile(RECORDINGS.goforward);
  const g = new Int16Array(goforward.buffer, 0, goforward.length >> 1);
  const clipA = Float32Array.from(g, (v) => v / 32768);
  const clipB = await loadAudioFile(`${RECORDINGS.asteriskDir}/conf-thereare.wav`);
  const at = [24000, 24000 + clipA.length + 40000];
  const signal = mix(background, [clipA, clipB], at, 10);
  const events = await vadEvents(signal);
  for (const [i, clip] of [clipA, clipB].entries()) {
    const [s, e] = speechExtent(clip).map((v) => (v + at[i]) / 16000);
    const inside = events.filter((ev) => ev.t > s - 0.3 && ev.t < e + 0.8);
    const starts = inside.filter((ev) => ev.state === "start");
    const ends = inside.filter((ev) => ev.state === "end");
    assert.ok(
      starts.length >= 1 && ends.length >= 1,
      `${label} clip ${i}: ${JSON.stringify(events)}`,
    );
    assert.ok(Math.abs(starts[0].t - s) < 0.25, `${label} clip ${i}: start ${starts[0].t} vs ${s}`);
    const end = ends[ends.length - 1].t;
    assert.ok(end > e - 0.15 && end < e + 0.6, `${label} clip ${i}: end ${end} vs ${e}`);
  }
  // Nothing is detected in the background-only stretches.
  const total = signal.length / 16000;
  const speechy = (t: number) =>
    [clipA, clipB].some((c, i) => {
      const [s, e] = speechExtent(c).map((v) => (v + at[i]) / 16000);
      return t > s - 0.3 && t < e + 0.8;
    });
  const stray = events.filter((ev) => !speechy(ev.t) && ev.t < total);
  assert.deepEqual(stray, [], `${label}: events in background-only audio`);
}

const LENGTH = 16000 * 14;

Deno.test("real speech in white noise at 10 dB SNR: events match the speech regions", async () => {
  await checkRegions(noise(LENGTH, 0.02, 5), "white noise");
});

Deno.test("real speech over music at 10 dB SNR: events match the speech regions", async () => {
  const music = await loadAudioFile(RECORDINGS.music);
  const bg = music.slice(16000 * 20, 16000 * 20 + LENGTH).map((v) => v * 0.3);
  await checkRegions(bg, "music");
});
