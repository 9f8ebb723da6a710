/**
 * Speech-embedding features of the verifier's training clips (wake/embed.ts, the same
 * front end the detector runs), for scripts/train/earshot_train/wake/train_verifier.py.
 *
 *   deno run -A scripts/wake/embed_clips.ts data/wake/hey_computer_xeng/clips/train.tsv \
 *       build/wake_xeng/train [--embedding fp32|int8|<path>]
 *
 * Reads the clip table (wav, label, kind, voice, snr, end) and writes <out>.npy (all embeddings,
 * N x 96, float32) and <out>.json (per clip: row fields, first embedding index, count, and the
 * stream sample where each embedding's 80 ms step ends). Resumable: skipped when both exist.
 * @module
 */
import { parseArgs } from "node:util";
import { readWav } from "../../audio/wav.ts";
import { resample } from "../../audio/resample.ts";
import { EMBED_DIM, FP32_EMBEDDING, WakeEmbedModel } from "../../wake/embed.ts";
import { encodeNpy } from "../npy.ts";

/** One parsed row of a clip table. */
export interface ClipRow {
  wav: string;
  label: number;
  kind: string;
  voice: string;
  snr: string;
  end: number;
}

/** Parse a clip table; errors name the file and line. */
export function parseClipTable(text: string, name: string): ClipRow[] {
  const lines = text.split("\n").filter((l) => l.trim());
  const head = lines[0]?.split("\t") ?? [];
  const want = ["wav", "label", "kind", "voice", "snr", "end"];
  if (want.some((w, i) => head[i] !== w)) {
    throw new Error(`${name}:1: header must be ${want.join(" ")} (tab-separated)`);
  }
  return lines.slice(1).map((l, i) => {
    const f = l.split("\t");
    const label = Number(f[1]), end = Number(f[5]);
    if (f.length !== 6 || !(label === 0 || label === 1) || !Number.isFinite(end)) {
      throw new Error(`${name}:${i + 2}: expected 6 fields with label 0/1 and a numeric end`);
    }
    return { wav: f[0], label, kind: f[2], voice: f[3], snr: f[4], end };
  });
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { embedding: { type: "string", default: "fp32" } },
  });
  if (positionals.length !== 2) {
    console.error("usage: embed_clips.ts <clips.tsv> <out prefix> [--embedding fp32|int8|path]");
    Deno.exit(2);
  }
  const [tsv, out] = positionals;
  const exists = async (p: string) => !!(await Deno.stat(p).catch(() => null));
  if (await exists(`${out}.npy`) && await exists(`${out}.json`)) {
    console.error(`${out}: done already`);
    Deno.exit(0);
  }
  const rows = parseClipTable(await Deno.readTextFile(tsv), tsv);
  const emb = values.embedding === "fp32"
    ? FP32_EMBEDDING
    : values.embedding === "int8"
    ? undefined
    : values.embedding;
  const model = await WakeEmbedModel.load({ embedding: emb });
  const parts: Float32Array[] = [];
  const index: (ClipRow & { first: number; count: number; ends: number[] })[] = [];
  let total = 0;
  const t0 = performance.now();
  for (const [i, r] of rows.entries()) {
    const w = await readWav(r.wav);
    const x = resample(w.samples, w.sampleRate, 16000);
    const { ends, data } = await model.signal(x);
    parts.push(data);
    index.push({ ...r, first: total, count: ends.length, ends });
    total += ends.length;
    if (i % 200 === 0 || i === rows.length - 1) {
      const s = ((performance.now() - t0) / 1000).toFixed(0);
      Deno.stderr.writeSync(new TextEncoder().encode(`\r${out}: ${i + 1}/${rows.length} ${s}s`));
    }
  }
  console.error("");
  const all = new Float32Array(total * EMBED_DIM);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  await Deno.mkdir(out.replace(/\/[^/]*$/, ""), { recursive: true });
  await Deno.writeFile(`${out}.npy`, encodeNpy(all, [total, EMBED_DIM]));
  await Deno.writeTextFile(`${out}.json`, JSON.stringify(index));
  await model.release();
  console.error(`${out}: ${rows.length} clips, ${total} embeddings`);
}
