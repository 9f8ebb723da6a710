/**
 * Dump MFCC features for training, computed by the very extractor the
 * pipeline streams with (train/serve parity).
 *
 *   deno task features <list.txt> <out-dir> [--mel-bands 40] [--coefficients 13]
 *   deno task features <list.txt> <out-dir> --oww-mel [--front-onnx data/asr/embed_front.onnx]
 *
 * --oww-mel dumps the speech embedding's 32-band log-mel instead (pipeline/melspec.ts, on the
 * 20 ms steps the command model's stream uses: asr/acoustic.ts), and with --front-onnx the
 * output of the frozen front on them (576 values per 20 ms) after 48 copies of the first mel
 * frame, as a stream starts.
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
import { loadMelSpectrogram, MEL_BANDS, melSignal } from "../pipeline/melspec.ts";
import { MEL_STEP } from "../asr/acoustic.ts";
import { loadModel, ort } from "../core/ort.ts";

/** Copies of the first mel frame before an utterance (the command model's context). */
const EMBED_PAD = 48;
import { intOption, scriptArgs } from "./cli.ts";

/** Compute features of every WAV listed; returns the number written. */
export async function dumpFeatures(
  listPath: string,
  outDir: string,
  options: {
    melBands?: number;
    coefficients?: number;
    skipBad?: boolean;
    quiet?: boolean;
    /** Dump the speech embedding's 32-band log-mel (melspectrogram.onnx) instead of MFCC. */
    owwMel?: boolean;
    /**
     * With owwMel: run this ONNX front (scripts/train/earshot_train/asr/embed_front.py) on the mel frames, after
     * EMBED_PAD copies of the first frame (the stream start), and dump its output instead.
     */
    frontOnnx?: string;
  } = {},
): Promise<number> {
  const mel = options.owwMel ? await loadMelSpectrogram() : undefined;
  const front = options.frontOnnx ? await loadModel(options.frontOnnx) : undefined;
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
      if (mel && front) {
        const m = await melSignal(mel, samples, MEL_STEP);
        const t = m.length / MEL_BANDS + EMBED_PAD;
        const x = new Float32Array(t * MEL_BANDS);
        for (let k = 0; k < EMBED_PAD; k++) x.set(m.subarray(0, MEL_BANDS), k * MEL_BANDS);
        x.set(m, EMBED_PAD * MEL_BANDS);
        const r = await front.session.run({
          mel: new ort.Tensor("float32", x, [1, t, MEL_BANDS]),
        });
        const out = r.front;
        await Deno.writeFile(npy, encodeNpy(out.data as Float32Array, out.dims.slice(1)));
        index.push(`${wav}\t${npy}\t${out.dims[1]}`);
      } else if (mel) {
        const m = await melSignal(mel, samples, MEL_STEP);
        const frames = m.length / MEL_BANDS;
        await Deno.writeFile(npy, encodeNpy(m, [frames, MEL_BANDS]));
        index.push(`${wav}\t${npy}\t${frames}`);
      } else {
        const f = mfccOfSignal(samples, options);
        await Deno.writeFile(npy, encodeNpy(f.data, [f.frames, f.coefficients]));
        index.push(`${wav}\t${npy}\t${f.frames}`);
      }
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
  await mel?.session.release();
  await front?.session.release();
  return written;
}

if (import.meta.main) {
  const usage = "usage: deno task features <list.txt> <out-dir> [--skip-bad] [--quiet] " +
    "[--mel-bands N] [--coefficients N] [--oww-mel [--front-onnx F.onnx]]";
  const { values, positionals } = scriptArgs("features", usage, {
    allowPositionals: true,
    options: {
      "mel-bands": { type: "string", default: "40" },
      coefficients: { type: "string", default: "13" },
      "skip-bad": { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
      "oww-mel": { type: "boolean", default: false },
      "front-onnx": { type: "string" },
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
      owwMel: values["oww-mel"],
      frontOnnx: values["front-onnx"],
    });
    console.error(`features: wrote ${n} files to ${positionals[1]}`);
  } catch (err) {
    console.error(`features: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
