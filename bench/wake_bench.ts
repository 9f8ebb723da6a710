/**
 * `deno task bench`: one wake-model inference (hey_computer) in fp32, INT8 and 4-bit mixed
 * precision on one onnxruntime thread, and the detector's per-frame cost. Target (issue 3): the
 * 4-bit model <= 30 us per inference on one core. Also the cascade's second stage (speech
 * embedding per 80 ms step, verifier head per window).
 */
import { loadModel, ort } from "../core/ort.ts";
import { FP32_EMBEDDING, WakeEmbedModel } from "../wake/embed.ts";

const dir = new URL("../models/wake/", import.meta.url).pathname;
const files = {
  fp32: "hey_computer.fp32.onnx",
  int8: "hey_computer.int8.onnx",
  "4-bit mixed": "hey_computer.onnx",
};
for (const [name, file] of Object.entries(files)) {
  const m = await loadModel(dir + file);
  const frames = Number(m.inputs[0].shape[1]);
  const x = new Float32Array(frames * 13).map((_, i) => Math.sin(i * 0.37) * 20);
  const feeds = { mfcc: new ort.Tensor("float32", x, [1, frames, 13]) };
  Deno.bench(`wake inference ${name} (${m.sizeBytes} bytes)`, { group: "wake" }, async () => {
    await m.session.run(feeds);
  });
}

// The cascade's second stage: one 80 ms step of the speech embedding (melspectrogram of 1760
// samples + one 76-frame embedding window) in fp32 (the npm package's file) and earshot's
// static INT8, and one verifier head window (16 x 96) in fp32, INT8 and 4-bit.
const chunk = new Float32Array(1760).map((_, i) => 0.1 * Math.sin(i * 0.07));
const melWindow = new Float32Array(76 * 32).map((_, i) => 1 + Math.sin(i * 0.01));
for (
  const [name, embedding] of [["fp32", FP32_EMBEDDING], ["INT8", undefined]] as const
) {
  const e = await WakeEmbedModel.load({ embedding });
  Deno.bench(`speech embedding ${name}, one 80 ms step (${e.embedding.sizeBytes} bytes)`, {
    group: "embedding",
  }, async () => {
    await e.melFrames(chunk);
    await e.embed(melWindow, [76]);
  });
}
const heads = {
  fp32: "hey_computer.verifier.fp32.onnx",
  int8: "hey_computer.verifier.int8.onnx",
  "4-bit": "hey_computer.verifier.onnx",
};
for (const [name, file] of Object.entries(heads)) {
  const m = await loadModel(dir + file);
  const x = new Float32Array(16 * 96).map((_, i) => Math.sin(i * 0.13));
  const feeds = { embeddings: new ort.Tensor("float32", x, [1, 16, 96]) };
  Deno.bench(`verifier head ${name} (${m.sizeBytes} bytes)`, { group: "verifier" }, async () => {
    await m.session.run(feeds);
  });
}
