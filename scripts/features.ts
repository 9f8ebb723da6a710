/**
 * Dump MFCC features for training, computed by the very extractor the
 * pipeline streams with (train/serve parity).
 *
 *   deno task features <list.txt> <out-dir> [--mel-bands 40] [--coefficients 13]
 *
 * list.txt: one WAV path per line (blank lines and # comments skipped). For
 * line i, writes <out-dir>/<i>.npy, float32 [frames, coefficients], and
 * <out-dir>/index.tsv with `wav<TAB>npy<TAB>frames`. Any WAV format and rate is
 * accepted (resampled to 16 kHz). A bad file stops the run with its name and
 * line number unless --skip-bad is given (then it is listed on stderr and in
 * index.tsv with frames = -1).
 * @module
 */
import { loadAudioFile } from "../audio/load.ts";
import { mfccOfSignal } from "../pipeline/mfcc.ts";
import { encodeNpy } from "./npy.ts";
import { intOption, scriptArgs } from "./cli.ts";

/** Compute features of every WAV listed; returns the number written. */
export async function dumpFeatures(
  listPath: string,
  outDir: string,
  options: { melBands?: number; coefficients?: number; skipBad?: boolean; quiet?: boolean } = {},
): Promise<number> {
  const lines = (await Deno.readTextFile(listPath)).split("\n");
  await Deno.mkdir(outDir, { recursive: true });
  const index: string[] = [];
  let written = 0;
  const started = performance.now();
  const total = lines.filter((l) => l.trim() && !l.trim().startsWith("#")).length;
  for (let i = 0; i < lines.length; i++) {
    const wav = lines[i].trim();
    if (!wav || wav.startsWith("#")) continue;
    const npy = `${outDir}/${index.length}.npy`;
    try {
      const samples = await loadAudioFile(wav);
      const f = mfccOfSignal(samples, options);
      await Deno.writeFile(npy, encodeNpy(f.data, [f.frames, f.coefficients]));
      index.push(`${wav}\t${npy}\t${f.frames}`);
      written++;
    } catch (err) {
      const msg = `${listPath}:${i + 1}: ${(err as Error).message}`;
      if (!options.skipBad) throw new Error(msg);
      console.error(`skipped ${msg}`);
      index.push(`${wav}\t\t-1`);
    }
    if (!options.quiet && index.length % 200 === 0) {
      const rate = index.length / ((performance.now() - started) / 1000);
      console.error(`features: ${index.length}/${total} files (${rate.toFixed(0)}/s)`);
    }
  }
  await Deno.writeTextFile(`${outDir}/index.tsv`, index.join("\n") + "\n");
  return written;
}

if (import.meta.main) {
  const usage = "usage: deno task features <list.txt> <out-dir> [--skip-bad] [--quiet] " +
    "[--mel-bands N] [--coefficients N]";
  const { values, positionals } = scriptArgs("features", usage, {
    allowPositionals: true,
    options: {
      "mel-bands": { type: "string", default: "40" },
      coefficients: { type: "string", default: "13" },
      "skip-bad": { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 2) {
    console.error(usage);
    Deno.exit(2);
  }
  try {
    const n = await dumpFeatures(positionals[0], positionals[1], {
      melBands: intOption("features", values, "mel-bands", 1),
      coefficients: intOption("features", values, "coefficients", 1),
      skipBad: values["skip-bad"],
      quiet: values.quiet,
    });
    console.error(`features: wrote ${n} files to ${positionals[1]}`);
  } catch (err) {
    console.error(`features: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
