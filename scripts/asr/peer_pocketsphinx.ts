/**
 * Benchmark peer for the command ASR: PocketSphinx (Debian
 * 0.8+5prealpha, en-us acoustic model) constrained by the SAME grammar as
 * earshot's decoder, on the same audio as scripts/asr/eval.ts (held-out
 * voices; clean, 10 dB, 5 dB with eval.ts's own noise mixing and seeds),
 * scored the same way (sentence accuracy, intent+slot accuracy with
 * parseIntent, out-of-grammar rejection) on the odd-numbered utterances.
 *
 * Grammar: each registry's command grammar written as a minimized word DFA in
 * PocketSphinx's FSG format (scripts/asr/fsg.ts; no null transitions, so it
 * loads in a fraction of a second where the JSGF took minutes and 10+ GB),
 * checked to accept exactly the grammar's language before decoding.
 * Dictionary: earshot's own lexicon (cmudict + espeak-ng fallback) for every
 * grammar word. One pocketsphinx_batch process per registry covers all three
 * conditions.
 *
 * Rejection: FSG decoding always returns an in-grammar sentence (or nothing),
 * and this version reports no confidence for FSG results (the CTM posteriors
 * are all 1.000). Two figures are given: (a) native, every non-empty result
 * accepted; (b) a confidence built like earshot's: the FSG path's acoustic
 * score minus a free phone loop's (PocketSphinx -allphone, context-independent
 * phones) per frame, mapped through eval.ts's calibrate/confidence (fitted on
 * the even-numbered clean utterances, threshold 0.5).
 *
 *   deno run -A scripts/asr/peer_pocketsphinx.ts --data data/asr \
 *       --out docs/asr_pocketsphinx.json [--limit N] [--probs flat|uniform]
 *       [--rescore]   (score the PocketSphinx outputs already in --work again)
 * @module
 */
import { loadAudioFile } from "../../audio/load.ts";
import { encodeWav } from "../../audio/wav.ts";
import { buildLexicon } from "../../asr/lexicon.ts";
import type { DecodeResult } from "../../asr/decoder.ts";
import { grammarAccepts, grammarWords, type WordGrammar } from "../../core/grammar.ts";
import { parseRegistry, type Registry } from "../../home/registry.ts";
import {
  buildCommandGrammar,
  parseIntent,
  sampleSentences,
  seededRandom,
} from "../../intent/index.ts";
import { toDict } from "./jsgf.ts";
import {
  addNoise,
  calibrate,
  CONDS,
  confidence,
  pct,
  readUtterances,
  sameIntent,
  type Utt,
} from "./eval.ts";
import { accepts, determinize, minimize, parseFsg, sameLanguage, toFsg, wordDfa } from "./fsg.ts";
import {
  type BatchRun,
  EN_US_HMM,
  parseHyp,
  parseHypseg,
  runBatch,
  scoreToNats,
  wavInputArgs,
} from "./pocketsphinx.ts";
import { round3 } from "../../core/math.ts";
import { intOption, scriptArgs } from "../cli.ts";

/** Word-level perturbations of a sentence (drop, duplicate, swap, insert a foreign word). */
function perturb(s: string, r: () => number): string {
  const w = s.split(" ");
  const i = Math.floor(r() * w.length);
  switch (Math.floor(r() * 4)) {
    case 0:
      w.splice(i, 1);
      break;
    case 1:
      w.splice(i, 0, w[i]);
      break;
    case 2:
      if (w.length > 1) {
        const j = (i + 1) % w.length;
        [w[i], w[j]] = [w[j], w[i]];
      }
      break;
    default:
      w.splice(i, 0, "banana");
  }
  return w.join(" ");
}

/**
 * Check the FSG against the grammar: exact language equality of the minimal
 * DFAs, plus sampled sentences (accepted by both) and perturbed / general
 * English sentences (the FSG agrees with grammarAccepts on every one).
 */
function checkFsg(g: WordGrammar, fsg: string, reg: Registry, general: string[], seed: number) {
  const parsed = parseFsg(fsg);
  const diff = sameLanguage(wordDfa(g), minimize(determinize(parsed)));
  if (diff !== null) throw new Error(`FSG and grammar differ on "${diff}"`);
  const r = seededRandom(seed);
  const inGrammar = sampleSentences(reg, 200, r);
  let acceptedIn = 0, outOfGrammar = 0;
  for (const s of inGrammar) if (accepts(parsed, s)) acceptedIn++;
  const others = [...inGrammar.map((s) => perturb(s, r)), ...general];
  for (const s of others) {
    const want = grammarAccepts(g, s);
    const got = accepts(parsed, s);
    if (want !== got) throw new Error(`FSG ${got ? "accepts" : "rejects"} "${s}", grammar not`);
    if (!want) outOfGrammar++;
  }
  if (acceptedIn !== inGrammar.length) {
    throw new Error(`FSG rejects ${inGrammar.length - acceptedIn} sampled grammar sentences`);
  }
  return { sampled: inGrammar.length, acceptedIn, othersChecked: others.length, outOfGrammar };
}

function runSummary(r: BatchRun) {
  return {
    wallS: Math.round(r.wallS * 10) / 10,
    maxRssMb: r.maxRssKb === null ? null : Math.round(r.maxRssKb / 102.4) / 10,
    speechS: r.speechS,
    cpuS: r.cpuS,
  };
}

function median(x: number[]): number {
  const s = [...x].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

if (import.meta.main) {
  const usage =
    "usage: peer_pocketsphinx.ts [--data DIR] [--out F.json] [--md F.md] [--work DIR] " +
    "[--ours F.json] [--limit N] [--probs flat|uniform] [--timeout S] [--skip-audio] [--rescore]";
  const { values } = scriptArgs("peer_pocketsphinx.ts", usage, {
    options: {
      data: { type: "string", default: "data/asr" },
      out: { type: "string", default: "docs/asr_pocketsphinx.json" },
      md: { type: "string" },
      work: { type: "string", default: "build/peers/pocketsphinx_asr" },
      ours: { type: "string", default: "docs/asr_eval.json" },
      limit: { type: "string", default: "100000" },
      probs: { type: "string", default: "flat" },
      timeout: { type: "string", default: "1200" },
      "skip-audio": { type: "boolean", default: false },
      rescore: { type: "boolean", default: false },
    },
  });
  const data = values.data!;
  const work = values.work!;
  const timeoutS = intOption("peer_pocketsphinx.ts", values, "timeout", 1);
  if (values.probs !== "flat" && values.probs !== "uniform") {
    throw new Error(`--probs: "flat" or "uniform", not "${values.probs}"`);
  }
  const probs = values.probs;
  const t0 = performance.now();
  const utts = (await readUtterances(data)).slice(
    0,
    intOption("peer_pocketsphinx.ts", values, "limit", 1),
  );
  const general = utts.filter((u) => u.oog).map((u) => u.text);

  // 1. Grammars as FSG files, one dictionary for all, checked against the grammars.
  await Deno.mkdir(`${work}/fsg`, { recursive: true });
  const registries = new Map<number, Registry>();
  const grammars = new Map<number, WordGrammar>();
  const fsgStats: Record<string, unknown>[] = [];
  const words = new Set<string>();
  for (const r of [...new Set(utts.map((u) => u.registry))].sort((a, b) => a - b)) {
    const reg = parseRegistry(
      JSON.parse(await Deno.readTextFile(`${data}/eval_registries/${r}.json`)),
      `registry ${r}`,
    );
    const g = buildCommandGrammar(reg);
    registries.set(r, reg);
    grammars.set(r, g);
    grammarWords(g).forEach((w) => words.add(w));
    const tw = performance.now();
    const fsg = toFsg(g, { name: `registry${r}`, probs });
    const writeMs = performance.now() - tw;
    await Deno.writeTextFile(`${work}/fsg/r${r}.fsg`, fsg);
    const check = checkFsg(g, fsg, reg, general, 77 + r);
    const parsed = parseFsg(fsg);
    fsgStats.push({
      registry: r,
      grammarStates: g.arcs.length,
      grammarArcs: g.arcs.reduce((a, l) => a + l.length, 0),
      fsgStates: parsed.arcs.length,
      fsgTransitions: parsed.arcs.reduce((a, l) => a + l.length, 0),
      writeMs: Math.round(writeMs),
      check,
    });
  }
  const lex = await buildLexicon(words);
  if (lex.missing.length) {
    throw new Error(`no pronunciation for: ${lex.missing.join(", ")}`);
  }
  await Deno.writeTextFile(`${work}/all.dict`, toDict(lex.lexicon));
  console.error(
    `peer: ${grammars.size} FSGs written and checked; dictionary ${lex.lexicon.size} words ` +
      `(${[...lex.lexicon.values()].filter((e) => e.source === "espeak").length} from espeak-ng)`,
  );

  // 2. The same audio as eval.ts: clean and noisy copies as 16-bit WAV.
  if (!values["skip-audio"] && !values.rescore) {
    const music: Float32Array[] = [];
    for (const f of ["macroform-cold_day.wav", "reno_project-system.wav"]) {
      try {
        music.push(await loadAudioFile(`/usr/share/asterisk/moh/${f}`));
      } catch { /* optional, as in eval.ts */ }
    }
    for (const [cond] of CONDS) await Deno.mkdir(`${work}/wav/${cond}`, { recursive: true });
    for (const u of utts) {
      const clean = await loadAudioFile(u.wav);
      for (const [cond, snr] of CONDS) {
        const x = snr === null ? clean : addNoise(clean, snr, 1000 + u.k, music);
        await Deno.writeFile(`${work}/wav/${cond}/${u.id}.wav`, encodeWav(x, 16000));
      }
      if ((u.k + 1) % 200 === 0) console.error(`peer: audio ${u.k + 1}/${utts.length}`);
    }
  }

  // 3. Decoding: one process per registry (all conditions), then the free phone loop.
  await Deno.mkdir(`${work}/out`, { recursive: true });
  const common = wavInputArgs(`${work}/wav`);
  const hyps = new Map<string, string>();
  const segs = new Map<string, { ascr: number; ef: number }>();
  const runs: Record<string, unknown>[] = [];
  const loads: BatchRun[] = [];
  // One bounded process; its figures are kept next to its output so --rescore can reuse both.
  const batch = async (args: string[], base: string): Promise<BatchRun> => {
    if (values.rescore) return JSON.parse(await Deno.readTextFile(`${base}.run.json`));
    const run = await runBatch(args, { log: `${base}.log`, timeoutS });
    await Deno.writeTextFile(`${base}.run.json`, JSON.stringify(run));
    return run;
  };
  let fsgCpu = 0, fsgSpeech = 0;
  for (const [r] of grammars) {
    const ids = utts.filter((u) => u.registry === r).map((u) => u.id);
    const base = `${work}/out/r${r}`;
    await Deno.writeTextFile(
      `${base}.ctl`,
      CONDS.flatMap(([c]) => ids.map((id) => `${c}/${id}`)).join("\n") + "\n",
    );
    const fsgArgs = [...common, "-fsg", `${work}/fsg/r${r}.fsg`, "-dict", `${work}/all.dict`];
    // Load only (empty control file): what building this grammar costs PocketSphinx.
    await Deno.writeTextFile(`${base}.empty.ctl`, "");
    loads.push(
      await batch(
        [...fsgArgs, "-ctl", `${base}.empty.ctl`, "-hyp", `${base}.empty.hyp`],
        `${base}.load`,
      ),
    );
    const run = await batch(
      [...fsgArgs, "-ctl", `${base}.ctl`, "-hyp", `${base}.hyp`, "-hypseg", `${base}.seg`],
      base,
    );
    if (run.code !== 0) {
      throw new Error(`pocketsphinx_batch on registry ${r}: exit ${run.code}\n${run.logTail}`);
    }
    fsgCpu += run.cpuS ?? 0;
    fsgSpeech += run.speechS ?? 0;
    runs.push({ registry: r, utterances: ids.length * CONDS.length, ...runSummary(run) });
    parseHyp(await Deno.readTextFile(`${base}.hyp`)).forEach((h, id) => hyps.set(id, h));
    parseHypseg(await Deno.readTextFile(`${base}.seg`)).forEach((s, id) =>
      segs.set(id, { ascr: s.ascr, ef: s.ef })
    );
    console.error(
      `peer: registry ${r}: ${ids.length * CONDS.length} utterances, ${run.wallS.toFixed(1)} s, ` +
        `${((run.maxRssKb ?? 0) / 1024).toFixed(0)} MB`,
    );
  }
  // Free phone loop (context-independent phones, no phone LM: a path that is no LM file makes
  // this version fall back to "unconstrained phone-loop decoding").
  const loop = new Map<string, { ascr: number; ef: number }>();
  const loopRuns: Record<string, unknown>[] = [];
  for (const [cond] of CONDS) {
    const base = `${work}/out/allphone_${cond}`;
    await Deno.writeTextFile(`${base}.ctl`, utts.map((u) => `${cond}/${u.id}`).join("\n") + "\n");
    const run = await batch(
      [
        ...common,
        "-allphone",
        `${work}/no-phone-lm`,
        "-allphone_ci",
        "yes",
        "-ctl",
        `${base}.ctl`,
        "-hyp",
        `${base}.hyp`,
        "-hypseg",
        `${base}.seg`,
      ],
      base,
    );
    if (run.code !== 0) throw new Error(`pocketsphinx_batch -allphone ${cond}: ${run.logTail}`);
    loopRuns.push({ condition: cond, utterances: utts.length, ...runSummary(run) });
    parseHypseg(await Deno.readTextFile(`${base}.seg`)).forEach((s, id) =>
      loop.set(id, { ascr: s.ascr, ef: s.ef })
    );
    console.error(`peer: phone loop ${cond}: ${run.wallS.toFixed(1)} s`);
  }

  // 4. Scoring, as eval.ts: odd-numbered utterances reported, even-numbered clean for calibration.
  const isCalib = (u: Utt) => Number(u.id.slice(2)) % 2 === 0;
  const result = (u: Utt, cond: string): DecodeResult => {
    const key = `${cond}/${u.id}`;
    const text = hyps.get(key) ?? "";
    const s = segs.get(key), l = loop.get(key);
    const frames = Math.max(1, l?.ef ?? s?.ef ?? 1);
    const gap = s && l ? scoreToNats(s.ascr - l.ascr) / frames : -Infinity;
    return {
      text,
      confidence: 0,
      logProb: s ? scoreToNats(s.ascr) : -Infinity,
      posterior: 1,
      gap,
      frames,
      speechFrames: frames,
      alternatives: [],
    };
  };
  const cal = calibrate(
    utts.filter((u) => isCalib(u)).map((u) => {
      const r = result(u, "clean");
      return { r, good: !u.oog && r.text === u.text };
    }),
  );
  const calibration = {
    scale: round3(cal.scale),
    offset: round3(cal.offset),
  };
  const thr = 0.5;
  const report: Record<string, unknown> = {};
  for (const [cond] of CONDS) {
    const rows = utts.filter((u) => !isCalib(u));
    const cmdRows = rows.filter((u) => !u.oog);
    const oogRows = rows.filter((u) => u.oog);
    let sent = 0, intent = 0, empty = 0, heldN = 0, heldOk = 0;
    let intentConf = 0, falseRej = 0, heldOkConf = 0;
    for (const u of cmdRows) {
      const r = result(u, cond);
      const reg = registries.get(u.registry)!;
      if (!r.text) empty++;
      if (r.text === u.text) sent++;
      const ok = r.text !== "" && sameIntent(parseIntent(r.text, reg), parseIntent(u.text, reg));
      const acc = confidence(r, cal.scale, cal.offset) >= thr;
      if (ok) intent++;
      if (!acc) falseRej++;
      if (ok && acc) intentConf++;
      if (u.heldOutName) {
        heldN++;
        if (ok) heldOk++;
        if (ok && acc) heldOkConf++;
      }
    }
    const oogEmpty = oogRows.filter((u) => !result(u, cond).text).length;
    const oogRejConf = oogRows.filter((u) =>
      confidence(result(u, cond), cal.scale, cal.offset) < thr
    ).length;
    report[cond] = {
      commands: cmdRows.length,
      sentenceAccuracy: pct(sent, cmdRows.length),
      native: {
        intentSlotAccuracy: pct(intent, cmdRows.length),
        heldOutDeviceNames: { n: heldN, intentSlotAccuracy: pct(heldOk, heldN) },
        noResultOnCommands: pct(empty, cmdRows.length),
        outOfGrammar: oogRows.length,
        oogNoResult: pct(oogEmpty, oogRows.length),
      },
      withPhoneLoopConfidence: {
        intentSlotAccuracy: pct(intentConf, cmdRows.length),
        heldOutDeviceNames: { n: heldN, intentSlotAccuracy: pct(heldOkConf, heldN) },
        falseRejection: pct(falseRej, cmdRows.length),
        oogRejection: pct(oogRejConf, oogRows.length),
      },
    };
  }
  const byVoice: Record<string, number | null> = {};
  const clean = utts.filter((u) => !isCalib(u) && !u.oog);
  for (const v of [...new Set(clean.map((u) => u.voice))].sort()) {
    const vs = clean.filter((u) => u.voice === v);
    byVoice[v] = pct(vs.filter((u) => result(u, "clean").text === u.text).length, vs.length);
  }
  report.cleanSentenceAccuracyByVoice = byVoice;

  let ours: Record<string, Record<string, unknown>> = {};
  try {
    ours = JSON.parse(await Deno.readTextFile(values.ours!)).report ?? {};
  } catch { /* no earshot figures to put side by side */ }
  const loadWall = loads.map((l) => l.wallS);
  const loadRss = loads.map((l) => (l.maxRssKb ?? 0) / 1024);
  const decodeRss = runs.map((r) => (r.maxRssMb as number) ?? 0);
  const out = {
    peer: "PocketSphinx 0.8+5prealpha (Debian), en-us acoustic model, FSG search",
    settings: {
      samprate: 16000,
      hmm: EN_US_HMM,
      fsgTransitionProbs: probs,
      otherOptions: "PocketSphinx defaults (beam 1e-48, lw 6.5, wip 0.65, fsgusefiller yes, " +
        "fsgusealtpron yes, remove_silence yes)",
    },
    utterances: utts.length,
    calibration,
    threshold: thr,
    report,
    grammars: {
      fsg: fsgStats,
      loadOnly: {
        wallSMedian: median(loadWall),
        wallSMax: Math.max(...loadWall),
        maxRssMbMax: Math.round(Math.max(...loadRss) * 10) / 10,
      },
    },
    dictionary: { words: lex.lexicon.size, warnings: lex.warnings.length },
    runs: {
      fsg: runs,
      fsgXrt: fsgSpeech ? Math.round((fsgCpu / fsgSpeech) * 10000) / 10000 : null,
      fsgMaxRssMb: Math.max(...decodeRss),
      phoneLoop: loopRuns,
    },
    earshot: Object.fromEntries(
      Object.entries(ours).filter(([k]) =>
        /^(fp32|int8)\/(clean|10dB|5dB)$/.test(k) || k === "int8/clean/sentenceAccuracyByVoice"
      ),
    ),
    wallSeconds: Math.round((performance.now() - t0) / 1000),
    rescored: values.rescore,
  };
  await Deno.writeTextFile(values.out!, JSON.stringify(out, null, 1) + "\n");
  const md = values.md ?? values.out!.replace(/\.json$/, ".md");
  if (md !== values.out) {
    await Deno.writeTextFile(md, markdown(out, values));
    // Tables aligned as the repository's `deno fmt --check` wants them.
    await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", md] }).output().catch(() => {});
  }
  console.log(markdown(out, values));
}

type Row = Record<string, unknown>;

/** The report as markdown (tables plus how it was made). */
function markdown(o: Row, args: Record<string, unknown>): string {
  const rep = o.report as Record<string, Row>;
  const ours = o.earshot as Record<string, Row>;
  const f = (v: unknown) => v === null || v === undefined ? "n/a" : `${v}%`;
  const lines: string[] = [
    "# PocketSphinx with the same grammar, on the command ASR evaluation audio",
    "",
    `Generated by \`scripts/asr/peer_pocketsphinx.ts\` (${
      o.rescored ? "outputs of an earlier run scored again, " : ""
    }${o.wallSeconds} s on this shared 2-core ` +
    "machine, other jobs running). Raw figures: the .json next to this file.",
    "",
    "```",
    `deno run -A scripts/asr/peer_pocketsphinx.ts --data ${args.data} --out ${args.out}` +
    (args.probs !== "flat" ? ` --probs ${args.probs}` : ""),
    "```",
    "",
    "## Set-up",
    "",
    `- Peer: ${o.peer}; \`-samprate 16000\`, ${
      (o.settings as Row).otherOptions
    }. Dictionary: earshot's own lexicon (cmudict from pocketsphinx-en-us, espeak-ng for ` +
    "unknown words) for every grammar word, so both recognizers get the same pronunciations.",
    "- Audio and scoring: exactly those of scripts/asr/eval.ts (docs/asr_eval.md): 922 " +
    "held-out-voice utterances, noise mixed by eval.ts's own `addNoise` with its seeds; " +
    "figures on the odd-numbered half (300 commands, 161 out-of-grammar sentences); intent+slot " +
    "by `parseIntent` of hypothesis vs reference; each command decoded with its own registry's " +
    "grammar.",
    "- Grammar: each registry's command grammar as a minimized word DFA in FSG format " +
    "(scripts/asr/fsg.ts), transitions " +
    ((o.settings as Row).fsgTransitionProbs === "flat"
      ? "all with probability 1 (no preference between sentences, like earshot's decoder)"
      : "with probability 1/(arcs leaving the state)") +
    ". Before decoding, every FSG is checked to accept exactly the grammar's language " +
    "(minimal DFAs equal) and, as a spot check, 200 sampled commands (all accepted), 200 " +
    "perturbed ones and the general-English sentences (the FSG agrees with the grammar on each).",
  ];
  const g = o.grammars as Row;
  const fsg = g.fsg as Row[];
  const range = (k: string) => {
    const v = fsg.map((x) => x[k] as number);
    return `${Math.min(...v)}-${Math.max(...v)}`;
  };
  const load = g.loadOnly as Row;
  const runs = o.runs as Row;
  const loopRuns = runs.phoneLoop as Row[];
  const loopCpu = loopRuns.reduce((a, x) => a + ((x.cpuS as number) ?? 0), 0);
  const loopSpeech = loopRuns.reduce((a, x) => a + ((x.speechS as number) ?? 0), 0);
  const loopXrt = loopSpeech ? (loopCpu / loopSpeech).toFixed(4) : "n/a";
  lines.push(
    `- Size: grammars ${range("grammarStates")} states / ${
      range("grammarArcs")
    } arcs (with epsilons) -> FSG ${range("fsgStates")} states / ${
      range("fsgTransitions")
    } word transitions, 0 null transitions. PocketSphinx loads one (model + FSG, empty ` +
      `control file) in ${load.wallSMedian} s median (max ${load.wallSMax} s), ` +
      `${load.maxRssMbMax} MB peak RSS; each decoding process (one registry, 3 conditions) ` +
      `peaked at ${runs.fsgMaxRssMb} MB; FSG decoding ${runs.fsgXrt} xRT (CPU; the phone ` +
      `loop: ${loopXrt} xRT). The JSGF of the same grammars (scripts/asr/jsgf.ts) had taken ` +
      "PocketSphinx 1.5 min to load and grown past 10 GB (docs/asr_eval.md).",
    "",
    "## Results (odd-numbered half: 300 commands, 161 out-of-grammar sentences)",
    "",
    "Native: PocketSphinx's FSG result is taken as is (it returns an in-grammar sentence or " +
      "nothing; this version gives FSG results no confidence, CTM posteriors are all 1.000). " +
      "With confidence: the FSG path's acoustic score minus a free phone loop's (-allphone, " +
      "context-independent phones, no phone LM), per frame, " +
      "through eval.ts's `calibrate`/`confidence` (fitted on the even-numbered clean half, " +
      `scale ${(o.calibration as Row).scale}, offset ${
        (o.calibration as Row).offset
      }), threshold ` +
      `${o.threshold}, like earshot's decoder.`,
    "",
    "| recognizer | condition | sentence | intent+slot | unseen device names | false rejection | OOG rejected |",
    "| ---------- | --------- | -------- | ----------- | ------------------- | --------------- | ------------ |",
  );
  for (const [cond] of CONDS) {
    const r = rep[cond];
    const n = r.native as Row, c = r.withPhoneLoopConfidence as Row;
    const hn = n.heldOutDeviceNames as Row, hc = c.heldOutDeviceNames as Row;
    lines.push(
      `| PocketSphinx, native | ${cond} | ${f(r.sentenceAccuracy)} | ${f(n.intentSlotAccuracy)} | ${
        f(hn.intentSlotAccuracy)
      } (n=${hn.n}) | ${f(n.noResultOnCommands)} (no result) | ${f(n.oogNoResult)} (no result) |`,
      `| PocketSphinx + phone-loop confidence | ${cond} | ${f(r.sentenceAccuracy)} | ${
        f(c.intentSlotAccuracy)
      } | ${f(hc.intentSlotAccuracy)} | ${f(c.falseRejection)} | ${f(c.oogRejection)} |`,
    );
    for (const m of ["int8", "fp32"]) {
      const e = ours[`${m}/${cond}`];
      if (!e) continue;
      lines.push(
        `| earshot ${m.toUpperCase()} (docs/asr_eval.json) | ${cond} | ${f(e.sentenceAccuracy)} | ${
          f(e.intentSlotAccuracy)
        } | ${f((e.heldOutDeviceNames as Row).intentSlotAccuracy)} | ${f(e.falseRejection)} | ${
          f(e.oogRejection)
        } |`,
      );
    }
  }
  const bv = rep.cleanSentenceAccuracyByVoice as Record<string, number>;
  const ev = (ours["int8/clean/sentenceAccuracyByVoice"] ?? {}) as Record<string, number>;
  lines.push(
    "",
    "Sentence accuracy counts the best sentence whether accepted or not (as in eval.ts); " +
      "intent+slot counts only accepted results, so PocketSphinx native (which rejects almost " +
      "nothing) and earshot (which rejects below its confidence threshold) are not on equal " +
      "terms there: compare sentence accuracy, or the confidence rows. OOG rejected, native: " +
      "the share of general-English sentences for which PocketSphinx returned no sentence; " +
      "every other one becomes some in-grammar command. earshot's rows are copied from " +
      "docs/asr_eval.json (same utterances, same noise), not recomputed here.",
    "",
    "## Sentence accuracy by voice (clean, odd-numbered commands)",
    "",
    "| voice | PocketSphinx | earshot INT8 (docs/asr_eval.json) |",
    "| ----- | ------------ | --------------------------------- |",
    ...Object.entries(bv).map(([v, a]) => `| ${v} | ${f(a)} | ${f(ev[v])} |`),
    "",
  );
  return lines.join("\n");
}
