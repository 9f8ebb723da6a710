/**
 * The command model on the speech-embedding front end (metadata `features: oww_mel32`): a
 * stream fed 10 ms hops of audio gives exactly the log-probabilities of one run of the model
 * over the training features of the same audio (scripts/features.ts --oww-mel: 20 ms
 * melspectrogram steps, 48 copies of the first frame before the start). Train/serve parity.
 */
import assert from "node:assert/strict";
import { AcousticModel, MEL_STEP } from "../../asr/acoustic.ts";
import { DEFAULT_ASR_MODEL } from "../../asr/recognizer.ts";
import { loadAudioFile } from "../../audio/load.ts";
import { ort } from "../../core/ort.ts";
import { HOP } from "../../core/units.ts";
import { loadMelSpectrogram, MEL_BANDS, melSignal } from "../../pipeline/melspec.ts";

const FP32 = DEFAULT_ASR_MODEL.replace(/_int8\.onnx$/, "_fp32.onnx");

Deno.test("the shipped command model reads mel frames of the speech embedding", async () => {
  for (const path of [DEFAULT_ASR_MODEL, FP32]) {
    const m = await AcousticModel.load(path);
    assert.equal(m.input, "audio", path);
    assert.equal(m.features, MEL_BANDS);
    assert.equal(m.context, 48);
    assert.ok(m.mel, "the melspectrogram model is loaded with it");
  }
});

Deno.test("hops streamed through the model = one run over the training features", async () => {
  const audio = (await loadAudioFile("assets/demo.wav")).subarray(0, 16000 * 3);
  const model = await AcousticModel.load(FP32, { chunkFrames: 8 });
  const s = model.stream();
  await s.reset();
  const parts: Float32Array[] = [];
  for (let i = 0; i + HOP <= audio.length; i += HOP) {
    parts.push(await s.push(audio.subarray(i, i + HOP)));
  }
  parts.push(await s.flush());
  const streamed = Float32Array.from(parts.flatMap((p) => [...p]));

  const melModel = await loadMelSpectrogram();
  const mel = await melSignal(melModel, audio, MEL_STEP);
  await melModel.session.release();
  const frames = mel.length / MEL_BANDS;
  const x = new Float32Array((frames + 48) * MEL_BANDS);
  for (let k = 0; k < 48; k++) x.set(mel.subarray(0, MEL_BANDS), k * MEL_BANDS);
  x.set(mel, 48 * MEL_BANDS);
  const r = await model.model.run({
    feats: new ort.Tensor("float32", x, [1, frames + 48, MEL_BANDS]),
  });
  const whole = r.logprobs.data as Float32Array;
  assert.equal(streamed.length, whole.length);
  let worst = 0;
  for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs(whole[i] - streamed[i]));
  assert.ok(worst < 1e-3, `largest difference ${worst}`);
});

Deno.test("a mel model stream refuses a hop of the wrong size, naming it", async () => {
  const s = (await AcousticModel.load(DEFAULT_ASR_MODEL)).stream();
  await s.reset();
  await assert.rejects(() => s.push(new Float32Array(13)), /hop has 13 values, model expects 160/);
  await assert.rejects(
    () => s.push(new Float32Array(160).fill(NaN)),
    /hop contains NaN/,
  );
});
