/**
 * Front-end benchmarks: `deno task bench` (or `deno bench ... bench/frontend_bench.ts`).
 * Per-frame figures are microseconds per 10 ms frame; whole-clip figures divide by the
 * clip length for the real-time factor (README "Figures").
 */
import { Meyda, MfccExtractor, PCM_SCALE, StreamingMfcc } from "../pipeline/mfcc.ts";
import { resample } from "../audio/resample.ts";
import { loadAudioFile } from "../audio/load.ts";
import { SileroModel } from "../pipeline/vad.ts";
import { Pipeline } from "../pipeline/pipeline.ts";
import { EventBus } from "../core/bus.ts";
import { parseConfig } from "../core/config.ts";

const LIBRIVOX =
  "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav";
const speech = (await loadAudioFile(LIBRIVOX)).slice(0, 16000 * 10);
const frame = speech.slice(16000, 16512);
const scaled = frame.map((v) => v * PCM_SCALE);
const ex = new MfccExtractor();
const streaming = new StreamingMfcc();
const hop = speech.slice(16000, 16160);

Deno.bench(
  "mfcc: earshot fast path, one 512-sample frame",
  { group: "mfcc", baseline: true },
  () => {
    ex.compute(frame);
  },
);
Deno.bench("mfcc: streaming push of one 10 ms hop", { group: "mfcc" }, () => {
  streaming.push(hop);
});
Deno.bench("mfcc: Meyda.extract('mfcc'), one frame", { group: "mfcc" }, () => {
  Meyda.extract("mfcc", scaled);
});

const tone48 = new Float32Array(48000).map((_, i) => Math.sin(i / 10));
Deno.bench("resample 48 kHz -> 16 kHz, 1 s of audio", () => {
  resample(tone48, 48000, 16000);
});

const vad = await SileroModel.load();
const vadStream = vad.stream();
const chunk = speech.slice(16000, 16512);
Deno.bench("vad: Silero, one 32 ms chunk", { group: "vad" }, async () => {
  await vadStream.process(chunk);
});

const config = parseConfig({});
const fullRate = parseConfig({ vad: { idleStride: 1 } });
const silence = new Float32Array(16000 * 10);
async function frontEnd(samples: Float32Array, cfg = config) {
  const p = await Pipeline.create(cfg, new EventBus(), { vad });
  for (let i = 0; i < samples.length; i += 1600) await p.push(samples.subarray(i, i + 1600));
  await p.end();
}
Deno.bench("front end (energy gate + Silero + MFCC), 10 s of read speech", {
  group: "rtf",
  baseline: true,
}, async () => {
  await frontEnd(speech);
});
Deno.bench("front end, Silero on every loud chunk (vad.idleStride 1), the same speech", {
  group: "rtf",
}, async () => {
  await frontEnd(speech, fullRate);
});
Deno.bench("front end (energy gate + Silero + MFCC), 10 s of silence", {
  group: "rtf",
}, async () => {
  await frontEnd(silence);
});
