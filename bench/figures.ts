/**
 * Prints the front end's figures as a markdown table: medians over repeated runs,
 * measured in one process (README "Figures"). Streams run through fresh pipelines whose
 * creation is not timed; their rows give the wall-clock RTF and the CPU-time RTF (the process's
 * user + system time, which a shared machine disturbs less). The always-on path next to openWakeWord:
 * bench/always_on_vs_oww.ts.
 *
 *   deno run --allow-read --allow-env --allow-ffi=./node_modules --allow-sys bench/figures.ts
 * @module
 */
import process from "node:process";
import { Meyda, MfccExtractor, PCM_SCALE } from "../pipeline/mfcc.ts";
import { resample } from "../audio/resample.ts";
import { loadAudioFile } from "../audio/load.ts";
import { SileroModel } from "../pipeline/vad.ts";
import { Pipeline } from "../pipeline/pipeline.ts";
import { EventBus } from "../core/bus.ts";
import { parseConfig } from "../core/config.ts";
import { loadWakeModel, WakeDetector } from "../wake/detector.ts";

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

/** Wall-clock and process CPU (user + system, all threads) milliseconds of `fn`. */
export async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ ms: number; cpuMs: number; out: T }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, out };
}

/** Median of a non-empty list. */
export function median(x: number[]): number {
  const s = [...x].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median per-call time in microseconds, timing batches of `batch` calls. */
export async function perCallUs(fn: () => unknown, batch: number, runs = 21): Promise<number> {
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
  const vad = await SileroModel.load();
  const vadStream = vad.stream();
  // The command recognizer is off: it is not part of the always-on path (a wake event would
  // start it, and Silero at full rate with it).
  const config = parseConfig({ asr: { enabled: false } });
  const fullRate = parseConfig({ asr: { enabled: false }, vad: { idleStride: 1 } });
  // Models load once, outside the timed runs.
  const wakeModels = await Promise.all(
    config.wake.models.map((m) => loadWakeModel(m, config.wake)),
  );
  /** A fresh pipeline (created untimed) streaming `samples`: wall and CPU ms of the stream. */
  const run = async (samples: Float32Array, wake = false, cfg = config) => {
    const bus = new EventBus();
    const stages = wake ? [await WakeDetector.create(cfg.wake, bus, { models: wakeModels })] : [];
    const p = await Pipeline.create(cfg, bus, { vad, stages });
    const t = await timed(async () => {
      for (let i = 0; i < samples.length; i += 1600) await p.push(samples.subarray(i, i + 1600));
      await p.end();
    });
    await p.close();
    return { p, ms: t.ms, cpuMs: t.cpuMs };
  };
  /** Medians of 15 streams (after 2 more): wall ms and the RTF note (wall and CPU). */
  const stream = async (samples: Float32Array, wake = false, cfg = config) => {
    const all: { ms: number; cpuMs: number }[] = [];
    for (let i = 0; i < 17; i++) {
      const r = await run(samples, wake, cfg);
      if (i >= 2) all.push(r);
    }
    const ms = median(all.map((r) => r.ms));
    const cpu = median(all.map((r) => r.cpuMs));
    const sec = samples.length / 16000;
    return {
      median: `${ms.toFixed(1)} ms`,
      rtf: `RTF ${(ms / 1000 / sec).toFixed(4)} (CPU time ${(cpu / 1000 / sec).toFixed(4)})`,
    };
  };
  const fast = await perCallUs(() => ex.compute(frame), 1000);
  const meyda = await perCallUs(() => Meyda.extract("mfcc", scaled), 200);
  const silero = await perCallUs(() => vadStream.process(frame), 100);
  const tone48 = new Float32Array(48000).map((_, i) => Math.sin(i / 10));
  const rs = await medianMs(() => resample(tone48, 48000, 16000), 11);
  const silence = new Float32Array(speech.length);
  const room = roomNoise(speech.length, -65);
  const frontSpeech = await stream(speech);
  const frontSilence = await stream(silence);
  const { p } = await run(speech);
  const { p: pFull } = await run(speech, false, fullRate);
  const alwaysOn = await stream(speech, true);
  const alwaysOnFull = await stream(speech, true, fullRate);
  const alwaysOnSilence = await stream(silence, true);
  const alwaysOnRoom = await stream(room, true);
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
      frontSpeech.median,
      `${frontSpeech.rtf}; Silero ran on ${runs(p)} chunks (${runs(pFull)} with vad.idleStride 1)`,
    ],
    [`Front end on ${seconds} s of digital silence`, frontSilence.median, frontSilence.rtf],
    [
      `Always-on path (VAD + MFCC + 4-bit wake), ${seconds} s of read speech`,
      alwaysOn.median,
      alwaysOn.rtf,
    ],
    [
      "Always-on path, Silero on every loud chunk (vad.idleStride 1), the same speech",
      alwaysOnFull.median,
      alwaysOnFull.rtf,
    ],
    [
      `Always-on path, ${seconds} s of digital silence`,
      alwaysOnSilence.median,
      alwaysOnSilence.rtf,
    ],
    [
      `Always-on path, ${seconds} s of room noise at -65 dBFS (below the energy gate)`,
      alwaysOnRoom.median,
      alwaysOnRoom.rtf,
    ],
  ];
  console.log("| measurement | median | note |\n| --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}
