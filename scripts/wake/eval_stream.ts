/**
 * Streaming evaluation of a wake word through the real pipeline (Silero VAD + MFCC + detector),
 * fp32 vs INT8 vs 4-bit side by side in one pass: false rejection rate at clean/20/10/5 dB SNR
 * on held-out voices, false accepts per hour on held-out real speech, music and noise,
 * detection latency (wake event time minus phrase end), and a DET curve.
 *
 *   PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.synth.build_eval_streams --data data/wake/hey_computer
 *   deno run -A scripts/wake/eval_stream.ts --id hey_computer [--out docs/eval]
 *     [--models models/wake] [--stride 4]
 *
 * Writes <out>/wake_<id>.json, <out>/wake_<id>.md and <out>/wake_<id>_det.svg.
 * @module
 */
import { parseArgs } from "node:util";
import { parseConfig } from "../../core/config.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import type { AnalysisFrame } from "../../pipeline/frame.ts";
import { loadWakeModel, WakeDetector } from "../../wake/detector.ts";

/** The evaluation streams of a wake word (`<data>/eval/truth.json`). */
export interface Truth {
  positives: { file: string; snr: string; starts: number[]; ends: number[]; voices: string[] }[];
  negative: { file: string; seconds: number; segments?: [number, number, string][] };
}

/** Read `<data>/eval/truth.json`, or exit with how to build it. */
export async function readTruth(data: string): Promise<Truth> {
  try {
    return JSON.parse(await Deno.readTextFile(`${data}/eval/truth.json`));
  } catch (err) {
    console.error(
      `${data}/eval/truth.json: ${(err as Error).message}\n` +
        `build it first: PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.synth.build_eval_streams --data ${data}`,
    );
    Deno.exit(1);
  }
}

/** Kind of negative material at time `t` (from the stream's segment list), or "unknown". */
export function kindAt(segments: [number, number, string][] | undefined, t: number): string {
  const s = segments?.find(([a, b]) => t >= a && t < b);
  return s ? s[2] : "unknown";
}

const PRECISIONS = { fp32: "fp32.onnx", int8: "int8.onnx", "4bit": "onnx" } as const;
type Precision = keyof typeof PRECISIONS;

/** Score traces per precision: [t, smoothed score] per stride (0 where gated). */
type Traces = Record<Precision, [number, number][]>;

/** Detections of a trace at threshold `thr` with a refractory period (seconds). */
export function detections(trace: [number, number][], thr: number, refractory: number): number[] {
  const out: number[] = [];
  let last = -Infinity;
  for (const [t, s] of trace) {
    if (s >= thr && t - last >= refractory) {
      out.push(t);
      last = t;
    }
  }
  return out;
}

/** Hits (phrase detected from its start to 1 s after its end), misses, false accepts, latencies. */
export function match(dets: number[], starts: number[], ends: number[]) {
  const used = new Set<number>();
  const latencies: number[] = [];
  let fa = 0;
  for (const d of dets) {
    const k = starts.findIndex((s, i) => !used.has(i) && d >= s && d <= ends[i] + 1.0);
    if (k < 0) fa++;
    else {
      used.add(k);
      latencies.push(d - ends[k]);
    }
  }
  return { hits: used.size, misses: starts.length - used.size, fa, latencies };
}

async function traces(
  dir: string,
  id: string,
  file: string,
  strideFrames: number,
): Promise<Traces> {
  const config = parseConfig({});
  const out: Traces = { fp32: [], int8: [], "4bit": [] };
  const models = await Promise.all(
    (Object.keys(PRECISIONS) as Precision[]).map((p) =>
      loadWakeModel({ id: p, path: `${dir}${id}.${PRECISIONS[p]}` }, config.wake, 13)
    ),
  );
  // Threshold 2 never fires: the traces are thresholded offline for every operating point.
  for (const m of models) m.threshold = 2;
  const bytes = await Deno.readFile(file);
  await runAudio(bytes, config, {
    chunk: 16000,
    makeStages: (bus) => {
      const det = new WakeDetector(models, { ...config.wake, strideFrames }, bus);
      let n = 0;
      return [det, {
        onFrame(f: AnalysisFrame) {
          if (++n % strideFrames !== 0) return;
          const s = det.scores;
          for (const p of Object.keys(out) as Precision[]) out[p].push([f.t, s[p]]);
        },
      }];
    },
  });
  return out;
}

function median(x: number[]): number {
  const s = [...x].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

function detSvg(curves: Record<string, [number, number][]>): string {
  const W = 560, H = 360, L = 60, B = 40;
  const xs = (fa: number) => L + (Math.log10(Math.max(fa, 0.01)) + 2) / 4 * (W - L - 20);
  const ys = (frr: number) => H - B - Math.min(frr, 0.5) / 0.5 * (H - B - 20);
  const colours: Record<string, string> = { fp32: "#1f77b4", int8: "#2ca02c", "4bit": "#d62728" };
  const lines = Object.entries(curves).map(([k, pts]) =>
    `<polyline fill="none" stroke="${colours[k] ?? "#000"}" stroke-width="2" points="${
      pts.map(([fa, frr]) => `${xs(fa).toFixed(1)},${ys(frr).toFixed(1)}`).join(" ")
    }"/>`
  );
  const ticks = [0.01, 0.1, 1, 10, 100].map((v) =>
    `<text x="${xs(v)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${v}</text>`
  );
  const yt = [0, 0.1, 0.2, 0.3, 0.4, 0.5].map((v) =>
    `<text x="${L - 6}" y="${ys(v) + 4}" font-size="11" text-anchor="end">${v * 100}%</text>`
  );
  const legend = Object.keys(curves).map((k, i) =>
    `<text x="${W - 90}" y="${30 + 16 * i}" font-size="12" fill="${colours[k]}">${k}</text>`
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">` +
    `<rect width="${W}" height="${H}" fill="white"/>` +
    `<line x1="${L}" y1="${H - B}" x2="${W - 20}" y2="${H - B}" stroke="black"/>` +
    `<line x1="${L}" y1="20" x2="${L}" y2="${H - B}" stroke="black"/>` +
    `<text x="${(W + L) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">` +
    `false accepts per hour (log)</text>` +
    `<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" ` +
    `text-anchor="middle">FRR (all SNRs)</text>` +
    [...lines, ...ticks, ...yt, ...legend].join("") + `</svg>\n`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      id: { type: "string", default: "hey_computer" },
      data: { type: "string" },
      out: { type: "string", default: "docs/eval" },
      stride: { type: "string", default: "4" },
      models: { type: "string", default: "models/wake" },
    },
  });
  const id = values.id!;
  const data = values.data ?? `data/wake/${id}`;
  const truth = await readTruth(data);
  const stride = Number(values.stride);
  const config = parseConfig({});
  const refractory = config.wake.refractoryMs / 1000;
  const dir = values.models!.replace(/\/*$/, "/");
  const model = await loadWakeModel({ id, path: `${dir}${id}.onnx` }, config.wake, 13);
  const thr = model.threshold;
  await model.model.session.release();
  const t0 = performance.now();
  console.error(`negatives: ${(truth.negative.seconds / 60).toFixed(1)} min ...`);
  const neg = await traces(dir, id, truth.negative.file, stride);
  const pos: { snr: string; tr: Traces; starts: number[]; ends: number[] }[] = [];
  for (const p of truth.positives) {
    console.error(`positives ${p.snr}: ${p.ends.length} phrases ...`);
    pos.push({
      snr: p.snr,
      tr: await traces(dir, id, p.file, stride),
      starts: p.starts,
      ends: p.ends,
    });
  }
  const hours = truth.negative.seconds / 3600;
  const result: Record<string, unknown> = { id, threshold: thr, refractory, hours, stride };
  const rows: string[] = [];
  const det: Record<string, [number, number][]> = {};
  for (const p of Object.keys(PRECISIONS) as Precision[]) {
    const faTimes = detections(neg[p], thr, refractory);
    const faPerHour = faTimes.length / hours;
    const faByKind: Record<string, number> = {};
    const falseAccepts = faTimes.map((t) => {
      const kind = kindAt(truth.negative.segments, t);
      faByKind[kind] = (faByKind[kind] ?? 0) + 1;
      const score = neg[p].find(([u]) => u === t)?.[1] ?? NaN;
      return { t: Math.round(t * 100) / 100, score: Math.round(score * 1000) / 1000, kind };
    });
    const frr: Record<string, number> = {};
    const lat: number[] = [];
    let posFa = 0;
    for (const s of pos) {
      const m = match(detections(s.tr[p], thr, refractory), s.starts, s.ends);
      frr[s.snr] = m.misses / s.starts.length;
      lat.push(...m.latencies);
      posFa += m.fa;
    }
    result[p] = {
      frr,
      faPerHour,
      latencyMedianS: median(lat),
      faInPositiveStreams: posFa,
      faByKind,
      falseAccepts,
    };
    rows.push(
      `| ${p} | ${(100 * frr.clean).toFixed(1)}% | ${(100 * frr["20"]).toFixed(1)}% | ${
        (100 * frr["10"]).toFixed(1)
      }% | ${(100 * frr["5"]).toFixed(1)}% | ${faPerHour.toFixed(2)} | ${
        (1000 * median(lat)).toFixed(0)
      } ms |`,
    );
    det[p] = [];
    // Coarse steps, then fine ones near 1 where the lowest false-accept rates are.
    const sweep = Array.from({ length: 38 }, (_, i) => 0.05 + 0.025 * i)
      .concat([0.98, 0.985, 0.99, 0.995, 0.998, 0.999]);
    for (const t of sweep) {
      const fa = detections(neg[p], t, refractory).length / hours;
      let miss = 0, all = 0;
      for (const s of pos) {
        const m = match(detections(s.tr[p], t, refractory), s.starts, s.ends);
        miss += m.misses;
        all += s.starts.length;
      }
      det[p].push([fa, miss / all]);
    }
  }
  result.det = det;
  const n = truth.positives[0].ends.length;
  const md = [
    `# Wake word "${id}": streaming evaluation`,
    "",
    `Real pipeline (Silero VAD gate, MFCC, detector: stride ${stride} frames, smoothing ` +
    `${config.wake.smoothing}, refractory ${refractory} s), threshold ${thr}. ` +
    `Positives: ${n} held-out-voice renderings per SNR. Negatives: ${(hours * 60).toFixed(0)} ` +
    "min of held-out real speech, music and noise. Latency: wake event time minus phrase end.",
    "",
    "| precision | FRR clean | FRR 20 dB | FRR 10 dB | FRR 5 dB | false accepts / hour | median latency |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    "False accepts by kind of negative material: " +
    (Object.keys(PRECISIONS) as Precision[]).map((p) => {
      const k = (result[p] as { faByKind: Record<string, number> }).faByKind;
      const parts = Object.entries(k).sort().map(([a, b]) => `${a} ${b}`);
      return `${p}: ${parts.length ? parts.join(", ") : "none"}`;
    }).join("; ") + ".",
    "",
    `DET curve: wake_${id}_det.svg. Reproduce: \`PYTHONPATH=scripts/train /usr/bin/python3 -m ` +
    `earshot_train.synth.build_eval_streams --data ${data}\` then \`deno run -A ` +
    `scripts/wake/eval_stream.ts --id ${id}\` (${((performance.now() - t0) / 1000).toFixed(0)} s).`,
    "",
  ].join("\n");
  result.markdown = md;
  await Deno.mkdir(values.out!, { recursive: true });
  await Deno.writeTextFile(`${values.out}/wake_${id}.json`, JSON.stringify(result, null, 1));
  await Deno.writeTextFile(`${values.out}/wake_${id}.md`, md);
  await Deno.writeTextFile(`${values.out}/wake_${id}_det.svg`, detSvg(det));
  console.log(md);
}
