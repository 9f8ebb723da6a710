/**
 * The shipped INT8 model really runs integer kernels and agrees with fp32 on
 * real audio (flite slt rendering in the demo recording).
 */
import assert from "node:assert/strict";
import { loadModel } from "../../core/ort.ts";
import { readOnnxInfo } from "../../core/onnx_info.ts";
import { AcousticModel, hopInputs } from "../../asr/acoustic.ts";
import { loadAudioFile } from "../../audio/load.ts";
import { NUM_LABELS } from "../../core/phones.ts";

const INT8 = "models/asr/asr_int8.onnx";
const FP32 = "models/asr/asr_fp32.onnx";

Deno.test("INT8 model: int8 weights in the file, QLinearConv in onnxruntime's optimized graph", async () => {
  const file = await Deno.readFile(INT8);
  assert.ok(file.length <= 2 * 1024 * 1024, `${file.length} bytes`);
  const info = readOnnxInfo(file);
  const total = Object.values(info.weightsByBits).reduce((a, b) => a + b, 0);
  assert.ok(info.weightsByBits[8] / total > 0.98, JSON.stringify(info.weightsByBits));
  const dir = await Deno.makeTempDir();
  try {
    await loadModel(INT8, { optimizedModelPath: `${dir}/opt.onnx` });
    const opt = readOnnxInfo(await Deno.readFile(`${dir}/opt.onnx`));
    const convs = Object.entries(opt.ops).filter(([op]) => /Conv$/.test(op));
    assert.deepEqual(
      convs.map(([op]) => op),
      ["com.microsoft::QLinearConv"],
      JSON.stringify(opt.ops),
    );
    // Every Conv of the fp32 graph (speech-embedding front and phone head) is an integer kernel.
    const fp32 = readOnnxInfo(await Deno.readFile(FP32));
    assert.equal(convs[0][1], fp32.ops["Conv"], JSON.stringify(fp32.ops));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("INT8 and fp32 give the same best phone on nearly every frame of real speech", async () => {
  const x = await loadAudioFile("assets/demo.wav");
  const out: Float32Array[] = [];
  for (const path of [FP32, INT8]) {
    const model = await AcousticModel.load(path, { chunkFrames: 16 });
    const m = model.stream();
    await m.reset();
    const rows: number[] = [];
    for (const input of hopInputs(model, x)) rows.push(...await m.push(input));
    rows.push(...await m.flush());
    out.push(Float32Array.from(rows));
  }
  assert.equal(out[0].length, out[1].length);
  const frames = out[0].length / NUM_LABELS;
  assert.ok(frames > 100);
  let agree = 0;
  for (let t = 0; t < frames; t++) {
    const am = (v: Float32Array) => {
      let b = 0;
      for (let k = 1; k < NUM_LABELS; k++) {
        if (v[t * NUM_LABELS + k] > v[t * NUM_LABELS + b]) b = k;
      }
      return b;
    };
    if (am(out[0]) === am(out[1])) agree++;
  }
  assert.ok(agree / frames >= 0.95, `argmax agreement ${agree}/${frames}`);
});

Deno.test("streaming in chunks equals one run over the whole utterance", async () => {
  const x = await loadAudioFile("assets/demo.wav");
  const run = async (chunk: number) => {
    const model = await AcousticModel.load(INT8, { chunkFrames: chunk });
    const m = model.stream();
    await m.reset();
    const rows: number[] = [];
    for (const input of hopInputs(model, x)) rows.push(...await m.push(input));
    rows.push(...await m.flush());
    return rows;
  };
  const a = await run(8);
  const b = await run(400);
  assert.equal(a.length, b.length);
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  assert.ok(maxDiff < 1e-3, `max difference ${maxDiff}`);
});
