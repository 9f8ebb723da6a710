/**
 * `deno task bench`: one wake-model inference (hey_computer) in fp32, INT8 and 4-bit mixed
 * precision on one onnxruntime thread, and the detector's per-frame cost. Target (issue 3): the
 * 4-bit model <= 30 us per inference on one core.
 */
import { loadModel, ort } from "../core/ort.ts";

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
