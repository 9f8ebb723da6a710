/**
 * Evaluation of the command ASR on held-out voices (scripts/train/earshot_train/asr/render.py
 * --voices eval): sentence accuracy, intent+slot accuracy (parseIntent of the
 * transcript vs of the reference, each against its own random registry, with
 * device names never seen in training), out-of-grammar rejection on general
 * English, false rejection of commands, real-time factor; clean and with
 * noise at 10 and 5 dB SNR; fp32 vs INT8.
 *
 * The confidence calibration (scale, offset of the decoder) is fitted on the
 * even-numbered utterances (clean) and every figure is reported on the odd-
 * numbered ones. The decoder's phone (insertion) bonus is tuned on the same
 * half (best clean sentence accuracy over 0..6 nats) unless --phone-bonus
 * gives it. The fitted calibration and bonus are written next to the model
 * (`<model>.json`) with --write-calibration.
 *
 *   deno run -A scripts/asr/eval.ts --data data/asr --out docs/asr_eval.json [--limit N]
 *       [--write-calibration] [--beam 192] [--phone-bonus tune|N] [--md docs/asr_eval.md]
 *       [--calibrate-on clean|all] [--templates before.json] [--dump rows.tsv]
 *
 * --templates replaces the built-in sentence templates (a TemplateSet JSON such as
 * bench/fixtures/templates_before.json): the same audio decoded against another grammar, for
 * before/after comparisons of a grammar change (scripts/asr/grammar_compare.sh).
 * @module
 */
import { loadAudioFile } from "../../audio/load.ts";
import { AcousticModel, hopInputs } from "../../asr/acoustic.ts";
import { CtcGrammarDecoder, type DecodeResult } from "../../asr/decoder.ts";
import { buildGraph, type DecodingGraph } from "../../asr/graph.ts";
import { buildLexicon } from "../../asr/lexicon.ts";
import { grammarWords } from "../../core/grammar.ts";
import { parseRegistry, type Registry } from "../../home/registry.ts";
import {
  buildCommandGrammar,
  countSentences,
  parseIntent,
  seededRandom,
  type TemplateSet,
} from "../../intent/index.ts";
import { HELD_OUT_DEVICES } from "./commands.ts";
import { markdownReport, today } from "./eval_report.ts";
import { round3 } from "../../core/math.ts";
import { intOption, scriptArgs } from "../cli.ts";

/** One evaluation utterance. */
export interface Utt {
  id: string;
  /** Position in the manifest (the noise of utterance k is seeded with 1000 + k). */
  k: number;
  wav: string;
  text: string;
  registry: number;
  oog: boolean;
  heldOutName: boolean;
  voice: string;
}

/** The evaluation conditions: name and SNR in dB (null: clean). */
export const CONDS: [string, number | null][] = [["clean", null], ["10dB", 10], ["5dB", 5]];

/** The utterances of `<data>/eval` with their registries and kinds. */
export async function readUtterances(data: string): Promise<Utt[]> {
  const cmds = new Map<string, { registry: number; text: string }>();
  for (const line of (await Deno.readTextFile(`${data}/eval_cmds.tsv`)).split("\n")) {
    const c = line.split("\t");
    if (c.length >= 5) cmds.set(c[0], { text: c[1], registry: Number(c[4]) });
  }
  const heldOut = HELD_OUT_DEVICES.map(([n]) => n);
  const utts: Utt[] = [];
  for (const line of (await Deno.readTextFile(`${data}/eval/manifest.tsv`)).split("\n")) {
    const c = line.split("\t");
    if (c.length < 3) continue;
    const cmd = cmds.get(c[0]);
    utts.push({
      id: c[0],
      k: utts.length,
      wav: c[1],
      text: c[2],
      registry: cmd ? cmd.registry : Number(c[0].slice(2)) % 24,
      oog: !cmd,
      heldOutName: heldOut.some((n) => c[2].includes(n)),
      voice: c[3] ?? "",
    });
  }
  return utts;
}

/** Acoustic-model output of one utterance in one condition. */
interface Scored {
  utt: Utt;
  cond: string;
  model: string;
  lp: Float32Array;
  modelMs: number;
  seconds: number;
}

interface Decoded {
  utt: Utt;
  cond: string;
  model: string;
  /** Raw decode (before calibration). */
  r: DecodeResult;
  /** Acoustic model + decoder milliseconds, audio seconds. */
  ms: number;
  seconds: number;
}

/** Active speech power: mean power of the 10 ms frames within 35 dB of the loudest. */
function speechPower(x: Float32Array): number {
  const powers: number[] = [];
  for (let i = 0; i + 160 <= x.length; i += 160) {
    let p = 0;
    for (let j = i; j < i + 160; j++) p += x[j] * x[j];
    powers.push(p / 160);
  }
  const max = Math.max(...powers);
  const active = powers.filter((p) => p > max * 10 ** -3.5);
  return active.reduce((a, b) => a + b, 0) / Math.max(1, active.length);
}

/** Add noise at `snr` dB: pink noise or a segment of hold music, chosen per utterance. */
export function addNoise(
  x: Float32Array,
  snr: number,
  seed: number,
  music: Float32Array[],
): Float32Array {
  const r = seededRandom(seed);
  const n = new Float32Array(x.length);
  if (music.length && r() < 0.5) {
    const m = music[Math.floor(r() * music.length)];
    const off = Math.floor(r() * Math.max(1, m.length - x.length));
    for (let i = 0; i < x.length; i++) n[i] = m[(off + i) % m.length];
  } else {
    // Paul Kellet's pink noise filter over white noise.
    let b0 = 0, b1 = 0, b2 = 0;
    for (let i = 0; i < x.length; i++) {
      const w = r() * 2 - 1;
      b0 = 0.99765 * b0 + w * 0.099046;
      b1 = 0.963 * b1 + w * 0.2965164;
      b2 = 0.57 * b2 + w * 1.0526913;
      n[i] = b0 + b1 + b2 + w * 0.1848;
    }
  }
  let pn = 0;
  for (const v of n) pn += v * v;
  pn /= n.length;
  const gain = Math.sqrt(speechPower(x) / (pn * 10 ** (snr / 10)));
  const out = new Float32Array(x.length);
  let peak = 0;
  for (let i = 0; i < x.length; i++) {
    out[i] = x[i] + gain * n[i];
    peak = Math.max(peak, Math.abs(out[i]));
  }
  if (peak > 0.99) { for (let i = 0; i < out.length; i++) out[i] *= 0.99 / peak; }
  return out;
}

export function pct(a: number, b: number): number | null {
  return b ? Math.round((1000 * a) / b) / 10 : null;
}

function sigmoid(x: number) {
  return 1 / (1 + Math.exp(-x));
}

export function confidence(r: DecodeResult, scale: number, offset: number): number {
  if (!r.text) return 0;
  return r.posterior * sigmoid(scale * (r.gap - offset));
}

/** Fit scale/offset by grid search: log-likelihood of "correct command" vs not. */
export function calibrate(items: { r: DecodeResult; good: boolean }[]) {
  let best = { scale: 6, offset: -0.5, ll: -Infinity };
  for (let scale = 0.5; scale <= 20; scale *= 1.25) {
    for (let offset = -4; offset <= 0.5; offset += 0.05) {
      let ll = 0;
      for (const { r, good } of items) {
        const p = Math.min(1 - 1e-6, Math.max(1e-6, confidence(r, scale, offset)));
        ll += good ? Math.log(p) : Math.log(1 - p);
      }
      if (ll > best.ll) best = { scale, offset, ll };
    }
  }
  return best;
}

export function sameIntent(a: ReturnType<typeof parseIntent>, b: ReturnType<typeof parseIntent>) {
  if (!a || !b) return false;
  return a.name === b.name && JSON.stringify(Object.entries(a.slots).sort()) ===
      JSON.stringify(Object.entries(b.slots).sort());
}

if (import.meta.main) {
  const usage = "usage: eval.ts [--data DIR] [--out F.json] [--md F.md] [--fp32 F] [--int8 F] " +
    "[--limit N] [--threshold X] [--beam N] [--calibrate-on COND] [--phone-bonus tune|X] " +
    "[--templates F.json] [--write-calibration] [--dump rows.tsv]";
  const { values } = scriptArgs("eval.ts", usage, {
    options: {
      data: { type: "string", default: "data/asr" },
      out: { type: "string", default: "docs/asr_eval.json" },
      fp32: { type: "string", default: "models/asr/asr_fp32.onnx" },
      int8: { type: "string", default: "models/asr/asr_int8.onnx" },
      limit: { type: "string", default: "100000" },
      threshold: { type: "string", default: "0.5" },
      "write-calibration": { type: "boolean", default: false },
      beam: { type: "string", default: "192" },
      md: { type: "string" },
      "calibrate-on": { type: "string", default: "clean" },
      "phone-bonus": { type: "string", default: "tune" },
      templates: { type: "string" },
      dump: { type: "string" },
    },
  });
  const templates: TemplateSet | undefined = values.templates
    ? JSON.parse(await Deno.readTextFile(values.templates))
    : undefined;
  const parse = (text: string, reg: Registry) => parseIntent(text, reg, { templates });
  const grammarStats = { registries: 0, states: 0, sentences: 0, buildMs: 0 };
  const data = values.data!;
  const utts = await readUtterances(data);
  const limit = intOption("eval.ts", values, "limit", 1);
  const selected = utts.slice(0, limit);
  const registries = new Map<number, Registry>();
  const graphs = new Map<number, DecodingGraph>();
  for (const u of selected) {
    if (graphs.has(u.registry)) continue;
    const reg = parseRegistry(
      JSON.parse(await Deno.readTextFile(`${data}/eval_registries/${u.registry}.json`)),
      `registry ${u.registry}`,
    );
    const t0 = performance.now();
    const g = buildCommandGrammar(reg, templates);
    grammarStats.buildMs += performance.now() - t0;
    grammarStats.registries++;
    grammarStats.states += g.arcs.length;
    grammarStats.sentences += countSentences(g);
    const { lexicon } = await buildLexicon(grammarWords(g));
    registries.set(u.registry, reg);
    graphs.set(u.registry, buildGraph(g, lexicon));
  }
  const music: Float32Array[] = [];
  for (const f of ["macroform-cold_day.wav", "reno_project-system.wav"]) {
    try {
      music.push(await loadAudioFile(`/usr/share/asterisk/moh/${f}`));
    } catch { /* optional */ }
  }
  const models = {
    fp32: (await AcousticModel.load(values.fp32!, { chunkFrames: 8 })).stream(),
    int8: (await AcousticModel.load(values.int8!, { chunkFrames: 8 })).stream(),
  };
  const conds = CONDS;
  // Acoustic model outputs are computed once; the decoder then runs with each phone bonus
  // tried (on the calibration half) and with the chosen one (on everything).
  const scored: Scored[] = [];
  let k = 0;
  for (const u of selected) {
    const clean = await loadAudioFile(u.wav);
    for (const [cond, snr] of conds) {
      const x = snr === null ? clean : addNoise(clean, snr, 1000 + k, music);
      for (const [name, m] of Object.entries(models)) {
        await m.reset();
        const t0 = performance.now();
        const parts: Float32Array[] = [];
        for (const input of hopInputs(m.shared, x)) parts.push(await m.push(input));
        parts.push(await m.flush());
        const lp = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
        let o = 0;
        for (const p of parts) lp.set(p, o), o += p.length;
        scored.push({
          utt: u,
          cond,
          model: name,
          lp,
          modelMs: performance.now() - t0,
          seconds: x.length / 16000,
        });
      }
    }
    if (++k % 50 === 0) console.error(`eval: ${k}/${selected.length}`);
  }
  const beamWidth = intOption("eval.ts", values, "beam", 1);
  const decode = (s: Scored, phoneBonus: number): Decoded => {
    const t0 = performance.now();
    const dec = new CtcGrammarDecoder(graphs.get(s.utt.registry)!, { beamWidth, phoneBonus });
    dec.push(s.lp);
    const r = dec.result();
    const ms = s.modelMs + performance.now() - t0;
    return { utt: s.utt, cond: s.cond, model: s.model, r, ms, seconds: s.seconds };
  };
  // Phone bonus per model: the value of --phone-bonus, or the best sentence accuracy on the
  // clean calibration half (even-numbered commands) over a small grid.
  const bonus: Record<string, number> = {};
  const bonusSweep: Record<string, Record<string, number | null>> = {};
  for (const name of Object.keys(models)) {
    if (values["phone-bonus"] !== "tune") {
      bonus[name] = Number(values["phone-bonus"]);
      continue;
    }
    const calib = scored.filter((s) =>
      s.model === name && s.cond === "clean" && !s.utt.oog && Number(s.utt.id.slice(2)) % 2 === 0
    );
    bonusSweep[name] = {};
    let best = -1;
    for (const b of [0, 1, 2, 3, 4, 5, 6]) {
      const ok = calib.filter((s) => decode(s, b).r.text === s.utt.text).length;
      bonusSweep[name][String(b)] = pct(ok, calib.length);
      if (ok > best) best = ok, bonus[name] = b;
    }
    console.error(`eval: ${name} phone bonus ${bonus[name]} (${JSON.stringify(bonusSweep[name])})`);
  }
  const results: Decoded[] = scored.map((s) => decode(s, bonus[s.model]));
  const isCalib = (u: Utt) => Number(u.id.slice(2)) % 2 === 0;
  const calibrateOn = values["calibrate-on"];
  if (calibrateOn !== "all" && calibrateOn !== "clean") {
    console.error(`eval: --calibrate-on must be "all" or "clean", got "${calibrateOn}"`);
    Deno.exit(2);
  }
  const report: Record<string, unknown> = {};
  const cal: Record<string, { scale: number; offset: number }> = {};
  for (const name of Object.keys(models)) {
    // Fitted on the tuning half, clean (default) or in every condition (--calibrate-on all;
    // with the shipped model that cost 1 point clean and gained no noisy OOG rejection).
    const items = results.filter((d) =>
      d.model === name && (calibrateOn === "all" || d.cond === "clean") && isCalib(d.utt)
    ).map((d) => ({ r: d.r, good: !d.utt.oog && d.r.text === d.utt.text }));
    const c = calibrate(items);
    cal[name] = {
      scale: round3(c.scale),
      offset: round3(c.offset),
    };
  }
  const thr = Number(values.threshold);
  /** --dump: one TSV line per scored command (model, condition, id, reference, transcript, ok). */
  const dump: string[] = [];
  for (const name of Object.keys(models)) {
    for (const [cond] of conds) {
      const rows = results.filter((d) => d.model === name && d.cond === cond && !isCalib(d.utt));
      const cmdRows = rows.filter((d) => !d.utt.oog);
      const oogRows = rows.filter((d) => d.utt.oog);
      let sent = 0, intent = 0, falseRej = 0, heldN = 0, heldOk = 0;
      for (const d of cmdRows) {
        const conf = confidence(d.r, cal[name].scale, cal[name].offset);
        const accepted = conf >= thr;
        if (!accepted) falseRej++;
        if (d.r.text === d.utt.text) sent++;
        const reg = registries.get(d.utt.registry)!;
        const ok = accepted && sameIntent(parse(d.r.text, reg), parse(d.utt.text, reg));
        if (ok) intent++;
        dump.push([name, cond, d.utt.id, d.utt.text, d.r.text, accepted, ok].join("\t"));
        if (d.utt.heldOutName) {
          heldN++;
          if (ok) heldOk++;
        }
      }
      const oogRejected = oogRows.filter((d) =>
        confidence(d.r, cal[name].scale, cal[name].offset) < thr
      ).length;
      const ms = rows.reduce((a, d) => a + d.ms, 0);
      const sec = rows.reduce((a, d) => a + d.seconds, 0);
      report[`${name}/${cond}`] = {
        commands: cmdRows.length,
        sentenceAccuracy: pct(sent, cmdRows.length),
        intentSlotAccuracy: pct(intent, cmdRows.length),
        heldOutDeviceNames: { n: heldN, intentSlotAccuracy: pct(heldOk, heldN) },
        falseRejection: pct(falseRej, cmdRows.length),
        outOfGrammar: oogRows.length,
        oogRejection: pct(oogRejected, oogRows.length),
        rtf: Math.round((ms / 1000 / sec) * 10000) / 10000,
      };
    }
  }
  for (const name of Object.keys(models)) {
    for (const [cond] of conds) {
      const byVoice: Record<string, number | null> = {};
      const rows = results.filter((d) =>
        d.model === name && d.cond === cond && !isCalib(d.utt) && !d.utt.oog
      );
      for (const v of [...new Set(rows.map((d) => d.utt.voice))].sort()) {
        const vs = rows.filter((d) => d.utt.voice === v);
        byVoice[v] = pct(vs.filter((d) => d.r.text === d.utt.text).length, vs.length);
      }
      report[`${name}/${cond}/sentenceAccuracyByVoice`] = byVoice;
    }
    // The operating curve: false rejection of commands (a rejected misrecognition counts as
    // rejected too) and out-of-grammar rejection at other thresholds.
    for (const [cond] of conds) {
      const rows = results.filter((d) => d.model === name && d.cond === cond && !isCalib(d.utt));
      const c = cal[name];
      report[`${name}/${cond}/thresholdSweep`] = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map(
        (t) => {
          const cmd = rows.filter((d) => !d.utt.oog);
          const oog = rows.filter((d) => d.utt.oog);
          const acc = (d: Decoded) => confidence(d.r, c.scale, c.offset) >= t;
          const reg = (d: Decoded) => registries.get(d.utt.registry)!;
          return {
            threshold: t,
            falseRejection: pct(cmd.filter((d) => !acc(d)).length, cmd.length),
            acceptedWrong: pct(
              cmd.filter((d) =>
                acc(d) &&
                !sameIntent(parse(d.r.text, reg(d)), parse(d.utt.text, reg(d)))
              ).length,
              cmd.length,
            ),
            oogRejection: pct(oog.filter((d) => !acc(d)).length, oog.length),
          };
        },
      );
    }
  }

  const out = {
    threshold: thr,
    calibration: cal,
    decoder: { beamWidth, phoneBonus: bonus, phoneBonusSweep: bonusSweep },
    utterances: selected.length,
    templates: values.templates ?? "built-in",
    grammar: {
      registries: grammarStats.registries,
      meanStates: Math.round(grammarStats.states / Math.max(1, grammarStats.registries)),
      meanSentences: Math.round(grammarStats.sentences / Math.max(1, grammarStats.registries)),
      meanBuildMs: Math.round(grammarStats.buildMs / Math.max(1, grammarStats.registries) * 10) /
        10,
    },
    report,
  };
  console.log(JSON.stringify(out, null, 1));
  await Deno.writeTextFile(values.out!, JSON.stringify(out, null, 1) + "\n");
  if (values.dump) await Deno.writeTextFile(values.dump, dump.join("\n") + "\n");
  if (values.md) {
    await Deno.writeTextFile(
      values.md,
      markdownReport(out, { fp32: values.fp32!, int8: values.int8!, date: today() }),
    );
  }
  if (values["write-calibration"]) {
    for (const [name, path] of [["fp32", values.fp32!], ["int8", values.int8!]]) {
      const card = path.replace(/\.onnx$/, ".json");
      let obj: Record<string, unknown> = {};
      try {
        obj = JSON.parse(await Deno.readTextFile(card));
      } catch { /* new file */ }
      obj.calibration = cal[name];
      obj.decoder = { phoneBonus: bonus[name] };
      await Deno.writeTextFile(card, JSON.stringify(obj, null, 1) + "\n");
    }
  }
}
