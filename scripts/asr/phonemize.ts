/**
 * Training targets for the acoustic model: reads a render manifest
 * (`id<TAB>wav<TAB>text...`) and writes `id<TAB>phone indices` (1..39, the
 * model's output labels) using the same lexicon code as the runtime decoder,
 * so training and serving agree on every pronunciation. Words without a
 * pronunciation drop the utterance (listed on stderr).
 *
 * Usage: deno run --allow-read --allow-write --allow-run scripts/asr/phonemize.ts in.tsv out.tsv
 * @module
 */
import { buildLexicon } from "../../asr/lexicon.ts";
import { phoneIndex } from "../../core/phones.ts";

if (import.meta.main) {
  const [input, output] = Deno.args;
  if (!input || !output) {
    console.error("usage: phonemize.ts <manifest.tsv> <targets.tsv>");
    Deno.exit(2);
  }
  const rows = (await Deno.readTextFile(input)).split("\n").filter(Boolean).map((line, i) => {
    const cols = line.split("\t");
    if (cols.length < 3) throw new Error(`${input}:${i + 1}: expected id<TAB>wav<TAB>text`);
    return { id: cols[0], words: cols[2].toLowerCase().split(/\s+/).filter(Boolean) };
  });
  const vocab = new Set(rows.flatMap((r) => r.words));
  const { lexicon, warnings } = await buildLexicon(vocab);
  for (const w of warnings) console.error(`phonemize: ${w}`);
  const out: string[] = [];
  let dropped = 0;
  for (const r of rows) {
    const phones: number[] = [];
    let ok = true;
    for (const w of r.words) {
      const e = lexicon.get(w);
      if (!e) {
        ok = false;
        break;
      }
      phones.push(...e.prons[0].map(phoneIndex));
    }
    if (ok && phones.length) out.push(`${r.id}\t${phones.join(" ")}`);
    else dropped++;
  }
  await Deno.writeTextFile(output, out.join("\n") + "\n");
  console.error(`phonemize: ${out.length} utterances, ${dropped} dropped -> ${output}`);
}
