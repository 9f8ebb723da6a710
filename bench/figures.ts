/**
 * Prints the front end's figures as a markdown table: medians over repeated runs,
 * measured in one process (README "Figures"). The always-on path next to openWakeWord:
 * bench/always_on_vs_oww.ts.
 *
 *   deno run --allow-read --allow-env --allow-ffi=./node_modules --allow-sys bench/figures.ts
 * @module
 */
import { Meyda, MfccExtractor, PCM_SCALE } from "../pipeline/mfcc.ts";
import { resample } from "../pipeline/audio/resample.ts";
import { loadAudioFile } from "../pipeline/audio/load.ts";
import { SileroVad } from "../pipeline/vad.ts";
import { Pipeline } from "../pipeline/pipeline.ts";
import { EventBus } from "../pipeline/bus.ts";
import { parseConfig } from "../pipeline/config.ts";
import { loadWakeModel, WakeDetector } from "../pipeline/wake.ts";

/** Median of `runs` timings (ms) of `fn`, after `warmup` calls. */
export async function medianMs(fn: () => unknown, runs: number, warmup = 3): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Median per-call time in microseconds, timing batches of `batch` calls. */
async function perCallUs(fn: () => unknown, batch: number, runs = 21): Promise<number> {
  const ms = await medianMs(async () => {
    for (let i = 0; i < batch; i++) await fn();
  }, runs);
  return (ms * 1000) / batch;
}

/** Seeded white noise at `dbfs` RMS (xorshift). */
export function roomNoise(n: number, dbfs: number): Float32Array {
  const amp = 10 ** (dbfs / 20) * Math.sqrt(3); // uniform in [-amp, amp]: RMS amp / sqrt(3)
  let s = 12345;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 4294967296 * 2 - 1) * amp;
  });
}

if (import.meta.main) {
  const LIBRIVOX =
    "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav";
  const speech = (await loadAudioFile(LIBRIVOX)).slice(0, 16000 * 10);
  const seconds = speech.length / 16000;
  const frame = speech.slice(16000, 16512);
  const scaled = frame.map((v) => v * PCM_SCALE);
  const ex = new MfccExtractor();
  const vad = await SileroVad.load();
  // The command recognizer is off: it is not part of the always-on path (a wake event would
  // start it, and Silero at full rate with it).
  const config = parseConfig({ asr: { enabled: false } });
  const fullRate = parseConfig({ asr: { enabled: false }, vad: { idleStride: 1 } });
  // Models load once, outside the timed runs.
  const wakeModels = await Promise.all(
    config.wake.models.map((m) => loadWakeModel(m, config.wake)),
  );
  const run = async (samples: Float32Array, wake = false, cfg = config) => {
    const bus = new EventBus();
    const stages = wake ? [await WakeDetector.create(cfg.wake, bus, { models: wakeModels })] : [];
    const p = await Pipeline.create(cfg, bus, { vad, stages });
    for (let i = 0; i < samples.length; i += 1600) await p.push(samples.subarray(i, i + 1600));
    await p.end();
    return p;
  };
  const fast = await perCallUs(() => ex.compute(frame), 1000);
  const meyda = await perCallUs(() => Meyda.extract("mfcc", scaled), 200);
  const silero = await perCallUs(() => vad.process(frame), 100);
  const tone48 = new Float32Array(48000).map((_, i) => Math.sin(i / 10));
  const rs = await medianMs(() => resample(tone48, 48000, 16000), 11);
  const speechMs = await medianMs(() => run(speech), 7, 1);
  const silence = new Float32Array(speech.length);
  const silenceMs = await medianMs(() => run(silence), 7, 1);
  const room = roomNoise(speech.length, -65);
  const p = await run(speech);
  const pFull = await run(speech, false, fullRate);
  const alwaysOnMs = await medianMs(() => run(speech, true), 7, 1);
  const alwaysOnFullMs = await medianMs(() => run(speech, true, fullRate), 7, 1);
  const alwaysOnSilenceMs = await medianMs(() => run(silence, true), 7, 1);
  const alwaysOnRoomMs = await medianMs(() => run(room, true), 7, 1);
  const runs = (q: Pipeline) => `${q.frontEnd.stats.vadRuns}/${q.frontEnd.stats.vadChunks}`;
  const rows = [
    ["MFCC, one 512-sample frame (earshot)", `${fast.toFixed(1)} us`, ""],
    [
      "MFCC, one frame, `Meyda.extract('mfcc')`",
      `${meyda.toFixed(1)} us`,
      `${(meyda / fast).toFixed(0)}x slower`,
    ],
    [
      "Silero VAD, one 32 ms chunk",
      `${silero.toFixed(0)} us`,
      `RTF ${(silero / 32000).toFixed(4)} when it runs`,
    ],
    ["Resample 48 -> 16 kHz, 1 s", `${rs.toFixed(1)} ms`, `RTF ${(rs / 1000).toFixed(4)}`],
    [
      `Front end on ${seconds} s of read speech`,
      `${speechMs.toFixed(1)} ms`,
      `RTF ${(speechMs / 1000 / seconds).toFixed(4)}; Silero ran on ${runs(p)} chunks (${
        runs(pFull)
      } with vad.idleStride 1)`,
    ],
    [
      `Front end on ${seconds} s of digital silence`,
      `${silenceMs.toFixed(1)} ms`,
      `RTF ${(silenceMs / 1000 / seconds).toFixed(4)}`,
    ],
    [
      `Always-on path (VAD + MFCC + 4-bit wake), ${seconds} s of read speech`,
      `${alwaysOnMs.toFixed(1)} ms`,
      `RTF ${(alwaysOnMs / 1000 / seconds).toFixed(4)}`,
    ],
    [
      "Always-on path, Silero on every loud chunk (vad.idleStride 1), the same speech",
      `${alwaysOnFullMs.toFixed(1)} ms`,
      `RTF ${(alwaysOnFullMs / 1000 / seconds).toFixed(4)}`,
    ],
    [
      `Always-on path, ${seconds} s of digital silence`,
      `${alwaysOnSilenceMs.toFixed(1)} ms`,
      `RTF ${(alwaysOnSilenceMs / 1000 / seconds).toFixed(4)}`,
    ],
    [
      `Always-on path, ${seconds} s of room noise at -65 dBFS (below the energy gate)`,
      `${alwaysOnRoomMs.toFixed(1)} ms`,
      `RTF ${(alwaysOnRoomMs / 1000 / seconds).toFixed(4)}`,
    ],
  ];
  console.log("| measurement | median | note |\n| --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}
