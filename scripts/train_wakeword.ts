/**
 * Train a custom wake word end to end:
 *
 *   deno task train-wakeword "hey pixel" [--id hey_pixel] [--scale 1] [--epochs 30]
 *                                       [--qat-epochs 4] [--force] [--no-verifier]
 *
 * 1. synthesize positives and hard negatives with every local TTS voice, augment, split by
 *    voice, and compute features with the pipeline's MFCC extractor
 *    (earshot_train.synth.build_wake_data, cached and resumable under data/wake/<id>/);
 * 2. train float, fold BN, QAT fine-tune INT8 and 4-bit mixed, export fp32/INT8/4-bit ONNX
 *    to models/wake/ (earshot_train.wake.train; skipped when models/wake/<id>.metrics.json
 *    exists, unless --force);
 * 3. measure latency per inference in onnxruntime-node (scripts/wake/latency.ts);
 * 4. write the model card models/wake/<id>.md (earshot_train.wake.card);
 * 5-9. the cascade's verifier (skipped with --no-verifier): cross-engine data (train espeak-ng +
 *    flite, validate on other espeak-ng variants + flite rms, test on festival;
 *    earshot_train.wake.xeng_data), speech-embedding features (scripts/wake/embed_clips.ts),
 *    the head with QAT to 4-bit (earshot_train.wake.train_verifier), its threshold calibrated
 *    on the validation stream, and the cross-engine report docs/eval/wake_xeng_<id>.md
 *    (scripts/wake/eval_xeng.ts).
 *
 * The Python steps run `python3 -m earshot_train.<module>` with PYTHONPATH=scripts/train (the
 * package in scripts/train/earshot_train, never installed).
 * Needs Debian's /usr/bin/python3 with python3-torch and python3-onnx, espeak-ng, flite,
 * festival and sox. Each step prints its own progress bar; a rerun resumes where it stopped.
 * @module
 */
import { parseArgs } from "node:util";
import { measure } from "./wake/latency.ts";

const PYTHON = Deno.env.get("EARSHOT_PYTHON") ?? "/usr/bin/python3";
/** Where the Python steps' package `earshot_train` is imported from (it is never installed). */
const PYTHONPATH = "scripts/train";

/** "Hey Pixel!" -> "hey_pixel". */
export function phraseId(phrase: string): string {
  return phrase.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "_").replace(
    /^_+|_+$/g,
    "",
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function step(title: string, cmd: string, args: string[]): Promise<void> {
  console.error(`\n== ${title}`);
  const t0 = performance.now();
  let status: Deno.CommandStatus;
  try {
    status = await new Deno.Command(cmd, {
      args,
      env: { PYTHONPATH },
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
  } catch (err) {
    throw new Error(`${title}: cannot run ${cmd}: ${(err as Error).message}`);
  }
  if (!status.success) throw new Error(`${title} failed (exit code ${status.code})`);
  console.error(`== ${title}: done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

/** Run the whole recipe; returns the model path. */
export async function trainWakeword(phrase: string, options: {
  id?: string;
  scale?: number;
  epochs?: number;
  qatEpochs?: number;
  force?: boolean;
  /** Also train the cascade's verifier (default true). */
  verifier?: boolean;
}): Promise<string> {
  const words = phrase.trim().split(/\s+/).filter(Boolean);
  if (!words.length) throw new Error("train-wakeword: the phrase is empty");
  if (!/^[a-zA-Z' ,.!?-]+$/.test(phrase)) {
    throw new Error(
      `train-wakeword: "${phrase}": use English letters only (TTS voices need words)`,
    );
  }
  const id = options.id ?? phraseId(phrase);
  if (!/^[a-z0-9_]+$/.test(id)) throw new Error(`train-wakeword: bad id "${id}" (a-z, 0-9, _)`);
  const data = `data/wake/${id}`;
  await step("1/4 synthesize data and features", PYTHON, [
    "-m",
    "earshot_train.synth.build_wake_data",
    "--phrase",
    phrase,
    "--out",
    data,
    "--scale",
    String(options.scale ?? 1),
  ]);
  const metrics = `models/wake/${id}.metrics.json`;
  if (options.force || !await exists(metrics)) {
    await step("2/4 train, quantize (QAT) and export", PYTHON, [
      "-m",
      "earshot_train.wake.train",
      "--data",
      data,
      "--id",
      id,
      "--phrase",
      phrase,
      "--epochs",
      String(options.epochs ?? 30),
      "--qat-epochs",
      String(options.qatEpochs ?? 4),
    ]);
  } else {
    console.error(`\n== 2/4 ${metrics} exists: training skipped (use --force to retrain)`);
  }
  console.error("\n== 3/4 latency per inference (onnxruntime-node, 1 thread)");
  const latency = await measure(id, 2000);
  await Deno.mkdir("build/wake", { recursive: true });
  const latencyPath = `build/wake/${id}.latency.json`;
  await Deno.writeTextFile(latencyPath, JSON.stringify(latency, null, 1));
  for (const [k, v] of Object.entries(latency)) {
    console.error(`   ${k}: ${v.median_us.toFixed(1)} us median, ${v.bytes} bytes`);
  }
  await step("4/4 model card", PYTHON, [
    "-m",
    "earshot_train.wake.card",
    metrics,
    "--latency",
    latencyPath,
  ]);
  if (options.verifier !== false) await trainVerifier(phrase, id, options.force ?? false);
  return `models/wake/${id}.onnx`;
}

/** Steps 5-9: the cascade's verifier on the frozen speech embedding, and its report. */
async function trainVerifier(phrase: string, id: string, force: boolean): Promise<void> {
  const data = `data/wake/${id}_xeng`;
  const feats = `build/wake_xeng/${id}`;
  const deno = Deno.execPath();
  await step("5/9 cross-engine data (verifier)", PYTHON, [
    "-m",
    "earshot_train.wake.xeng_data",
    "--phrase",
    phrase,
    "--out",
    data,
  ]);
  for (const split of ["val", "train"]) {
    await step(`6/9 speech-embedding features (${split})`, deno, [
      "run",
      "-A",
      "scripts/wake/embed_clips.ts",
      `${data}/clips/${split}.tsv`,
      `${feats}/${split}`,
      "--embedding",
      "int8",
    ]);
  }
  const head = `models/wake/${id}.verifier.onnx`;
  if (force || !await exists(head)) {
    await step("7/9 train the verifier head (QAT 4-bit)", PYTHON, [
      "-m",
      "earshot_train.wake.train_verifier",
      "--feats",
      feats,
      "--id",
      id,
      "--phrase",
      phrase,
    ]);
  } else console.error(`\n== 7/9 ${head} exists: training skipped (use --force to retrain)`);
  await step("8/9 calibrate the threshold on the validation stream", deno, [
    "run",
    "-A",
    "scripts/wake/eval_xeng.ts",
    "--calibrate",
    "--id",
    id,
    "--data",
    data,
  ]);
  await step("8/9 store the threshold", PYTHON, [
    "-m",
    "earshot_train.wake.train_verifier",
    "--id",
    id,
    "--threshold-json",
    `models/wake/${id}.verifier.json`,
  ]);
  await step("9/9 cross-engine report", deno, [
    "run",
    "-A",
    "scripts/wake/eval_xeng.ts",
    "--id",
    id,
    "--data",
    data,
    "--no-peer",
  ]);
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      id: { type: "string" },
      scale: { type: "string", default: "1" },
      epochs: { type: "string", default: "30" },
      "qat-epochs": { type: "string", default: "4" },
      force: { type: "boolean", default: false },
      "no-verifier": { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1) {
    console.error('usage: deno task train-wakeword "hey pixel" [--id hey_pixel] [--force]');
    Deno.exit(2);
  }
  const num = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) {
      console.error(`--${name} must be a positive number, got ${v}`);
      Deno.exit(2);
    }
    return n;
  };
  try {
    const path = await trainWakeword(positionals[0], {
      id: values.id,
      scale: num("scale", values.scale),
      epochs: num("epochs", values.epochs),
      qatEpochs: num("qat-epochs", values["qat-epochs"]),
      force: values.force,
      verifier: !values["no-verifier"],
    });
    console.error(`\nwake word model: ${path}`);
    const id = values.id ?? phraseId(positionals[0]);
    const verifier = values["no-verifier"] ? "" : `, "verifier": "models/wake/${id}.verifier.onnx"`;
    console.error(
      `use it: add {"id": "${id}", "path": "${path}"${verifier}} to wake.models in your config`,
    );
  } catch (err) {
    console.error(`train-wakeword: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
