/**
 * Endpoint latency of the recognizer on held-out voices: the whole pipeline
 * (Silero VAD, MFCC, recognizer with `trigger: "vad"`) over evaluation
 * commands; for each transcript, stream time from the true end of speech
 * (last 10 ms frame within 40 dB of the loudest) to the commit, the same plus
 * the compute of the committing step (wall time of that frame's processing:
 * what a live stream waits on top of the audio), and the decode compute per
 * utterance. Prints p50/p95 and the number of early
 * commits (before the VAD would have closed the segment).
 *
 *   deno run -A scripts/asr/latency.ts --data data/asr --n 60 [--model models/asr/asr_int8.onnx]
 * @module
 */
import { loadAudioFile } from "../../audio/load.ts";
import { encodeWav } from "../../audio/wav.ts";
import { parseConfig } from "../../core/config.ts";
import type { TranscriptEvent } from "../../core/events.ts";
import type { FrameStage } from "../../pipeline/frame.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { createRecognizer } from "../../asr/recognizer.ts";
import { parseRegistry } from "../../home/registry.ts";
import { buildCommandGrammar } from "../../intent/index.ts";
import { intOption, scriptArgs } from "../cli.ts";

function speechEnd(x: Float32Array): number {
  const p: number[] = [];
  for (let i = 0; i + 160 <= x.length; i += 160) {
    let s = 0;
    for (let j = i; j < i + 160; j++) s += x[j] * x[j];
    p.push(s / 160);
  }
  const max = Math.max(...p);
  let last = 0;
  p.forEach((v, i) => {
    if (v > max * 1e-4) last = i;
  });
  return ((last + 1) * 160) / 16000;
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

if (import.meta.main) {
  const usage = "usage: latency.ts [--data DIR] [--n N] [--model F.onnx] [--early-commit-ms MS]";
  const { values } = scriptArgs("latency.ts", usage, {
    options: {
      data: { type: "string", default: "data/asr" },
      n: { type: "string", default: "60" },
      model: { type: "string", default: "models/asr/asr_int8.onnx" },
      "early-commit-ms": { type: "string" },
    },
  });
  const data = values.data!;
  const cmds = (await Deno.readTextFile(`${data}/eval_cmds.tsv`)).split("\n").filter(Boolean)
    .map((l) => l.split("\t")).filter((c) => Number(c[0].slice(2)) % 2 === 1)
    .slice(0, intOption("latency.ts", values, "n", 1));
  const vad = await SileroModel.load();
  const config = parseConfig({
    asr: {
      trigger: "vad",
      model: values.model,
      ...(values["early-commit-ms"] ? { earlyCommitMs: Number(values["early-commit-ms"]) } : {}),
    },
  });
  const latency: number[] = [];
  const withCompute: number[] = [];
  const commitCompute: number[] = [];
  let early = 0;
  const rows: { id: string; ms: number; early: boolean; ok: boolean }[] = [];
  let correct = 0;
  for (const [id, text, , , reg] of cmds) {
    const registry = parseRegistry(
      JSON.parse(await Deno.readTextFile(`${data}/eval_registries/${reg}.json`)),
      `registry ${reg}`,
    );
    const grammar = buildCommandGrammar(registry);
    const x = await loadAudioFile(`${data}/eval/${id}.wav`);
    // One second of silence after the utterance so that the VAD can close the segment.
    const padded = new Float32Array(x.length + 16000);
    padded.set(x);
    const trueEnd = speechEnd(x);
    // Compute of the commit step: wall time from the start of the frame that commits to the
    // transcript event (in real time, every earlier frame is processed while audio arrives).
    let frameStart = 0;
    let commitStepMs = 0;
    const clock: FrameStage = {
      onFrame: () => {
        frameStart = performance.now();
      },
    };
    const events = await runAudio(encodeWav(padded, 16000), config, {
      vad,
      makeStages: async (bus) => {
        bus.onType("transcript", () => {
          commitStepMs = performance.now() - frameStart;
        });
        return [clock, (await createRecognizer(grammar, config.asr)).recognizer];
      },
    });
    const ts = events.filter((e): e is TranscriptEvent => e.type === "transcript");
    const vadEnd = events.find((e) => e.type === "vad" && e.state === "end")?.t ?? Infinity;
    const last = ts[ts.length - 1];
    if (!last) continue;
    latency.push(last.t - trueEnd);
    withCompute.push(last.t - trueEnd + commitStepMs / 1000);
    // The VAD reports its end at the last speech sample but only after minSilenceMs.
    const isEarly = last.t < vadEnd + config.vad.minSilenceMs / 1000 - 0.005;
    if (isEarly) early++;
    rows.push({
      id,
      ms: Math.round((last.t - trueEnd) * 1000),
      early: isEarly,
      ok: last.text === text,
    });
    if (last.text === text) correct++;
    commitCompute.push(last.decodeMs);
  }
  const ms = (s: number) => Math.round(s * 1000);
  console.log(JSON.stringify(
    {
      utterances: latency.length,
      endToCommitMs: { p50: ms(pct(latency, 0.5)), p95: ms(pct(latency, 0.95)) },
      endToCommitPlusComputeMs: { p50: ms(pct(withCompute, 0.5)), p95: ms(pct(withCompute, 0.95)) },
      earlyCommits: early,
      sentenceCorrect: correct,
      slowest: rows.sort((a, b) => b.ms - a.ms).slice(0, 8),
      decodeMsPerUtterance: {
        p50: Math.round(pct(commitCompute, 0.5)),
        p95: Math.round(pct(commitCompute, 0.95)),
      },
    },
    null,
    1,
  ));
}
