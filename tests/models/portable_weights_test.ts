/**
 * Every shipped integer model stores its 8-bit weights as uint8 (int8 codes + 128, zero point
 * 128), so that onnxruntime takes its U8U8 kernels: on x86 CPUs with AVX2 but no VNNI, uint8
 * activations times int8 weights saturate in int16 and the sums go wrong (the command model
 * heard "turn on the kitchen light" as "stop" there). The pass that converts them:
 * scripts/train/earshot_train/quant/portable.py; agreement with fp32 on real audio:
 * tests/asr/int8_test.ts, tests/wake/model_test.ts.
 */
import assert from "node:assert/strict";
import { readOnnxInfo } from "../../core/onnx_info.ts";

async function* onnxFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* onnxFiles(p);
    else if (e.name.endsWith(".onnx")) yield p;
  }
}

Deno.test("shipped models hold no int8 weights: integer models store them as uint8", async () => {
  const signed: string[] = [];
  const unsigned: string[] = [];
  for await (const path of onnxFiles("models")) {
    const { weights } = readOnnxInfo(await Deno.readFile(path));
    const int8 = weights.filter((w) => w.dtype === "int8");
    if (int8.length) signed.push(`${path}: ${int8.map((w) => w.name).join(", ")}`);
    if (weights.some((w) => w.dtype === "uint8" && w.elements > 1)) unsigned.push(path);
  }
  assert.deepEqual(signed, [], "run python3 -m earshot_train.quant.portable on them");
  // The command model (embedding and MFCC), the wake models' int8 and mixed files, the
  // verifier's int8 head and the quantized embedding.
  for (
    const p of [
      "models/asr/asr_int8.onnx",
      "models/asr/mfcc/asr_int8.onnx",
      "models/wake/hey_computer.onnx",
      "models/wake/hey_computer.int8.onnx",
      "models/wake/hey_computer.verifier.int8.onnx",
      "models/wake/speech_embedding.int8.onnx",
    ]
  ) assert.ok(unsigned.includes(p), `${p} has no uint8 weights (${unsigned.join(", ")})`);
});
