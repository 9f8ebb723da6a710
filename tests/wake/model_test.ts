/**
 * The shipped wake models in onnxruntime-node: outputs equal the fake-quantized PyTorch model
 * on fixed inputs (tests/wake/fixtures/<id>.reference.json, written by scripts/train/earshot_train/wake/train.py), the
 * 4-bit file really stores packed 4-bit weights, and onnxruntime's optimized graph runs integer
 * / low-bit kernels (QLinearConv, MatMulNBits, QLinearMatMul) with no float Conv or MatMul left.
 */
import assert from "node:assert/strict";
import { loadModel, ort } from "../../core/ort.ts";
import { readOnnxInfo } from "../../core/onnx_info.ts";

const MODELS = ["hey_computer", "hey_jarvis"];
const dir = new URL("../../models/wake/", import.meta.url).pathname;
const fixtures = new URL("./fixtures/", import.meta.url).pathname;

interface Reference {
  id: string;
  frames: number;
  /** base64 of little-endian float32 [n, frames, 13]. */
  inputs: string;
  labels: number[];
  outputs: Record<"fp32" | "int8" | "mixed4", number[]>;
}

const FILES = { fp32: "fp32.onnx", int8: "int8.onnx", mixed4: "onnx" } as const;
/**
 * Largest allowed |logit(onnxruntime) - logit(torch)| per precision. Integer kernels round
 * intermediate activations slightly differently from fake quantization; comparing logits keeps
 * the check equally strict on the steep and the flat part of the sigmoid.
 */
const TOLERANCE = { fp32: 1e-3, int8: 0.3, mixed4: 0.3 } as const;
/** ... or this much in probability (the fixture stores probabilities to 6 decimals). */
const PROB_TOLERANCE = { fp32: 1e-5, int8: 0.01, mixed4: 0.01 } as const;

function logit(p: number): number {
  const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
  return Math.log(q / (1 - q));
}

for (const id of MODELS) {
  const ref: Reference = JSON.parse(await Deno.readTextFile(`${fixtures}${id}.reference.json`));
  const bytes = Uint8Array.from(atob(ref.inputs), (c) => c.charCodeAt(0));
  const all = new Float32Array(bytes.buffer);
  const size = ref.frames * 13;
  const inputs = ref.labels.map((_, i) => all.slice(i * size, (i + 1) * size));

  for (const mode of ["fp32", "int8", "mixed4"] as const) {
    Deno.test(`wake model ${id} ${mode}: onnxruntime-node equals the PyTorch reference`, async () => {
      const m = await loadModel(`${dir}${id}.${FILES[mode]}`);
      try {
        assert.equal(all.length, ref.labels.length * size);
        assert.equal(inputs.length, ref.outputs[mode].length);
        assert.ok(ref.labels.includes(1) && ref.labels.includes(0));
        for (let i = 0; i < inputs.length; i++) {
          const x = new ort.Tensor("float32", inputs[i], [1, ref.frames, 13]);
          const y = (await m.run({ mfcc: x })).wake.data[0] as number;
          const want = ref.outputs[mode][i];
          assert.ok(
            Math.abs(logit(y) - logit(want)) <= TOLERANCE[mode] ||
              Math.abs(y - want) <= PROB_TOLERANCE[mode],
            `${mode} input ${i}: onnxruntime ${y} vs torch ${want}`,
          );
          // and the decision equals the PyTorch model's (unless torch itself sits on the edge)
          if (Math.abs(want - 0.5) > 0.05) {
            assert.equal(y >= 0.5, want >= 0.5, `${mode} input ${i}`);
          }
        }
      } finally {
        await m.session.release();
      }
    });
  }

  Deno.test(`wake model ${id}: the 4-bit file stores 4-bit weights and runs low-bit kernels`, async () => {
    const path = `${dir}${id}.onnx`;
    const info = readOnnxInfo(await Deno.readFile(path));
    // first conv + one depthwise per block on QLinearConv; one pointwise per block + the dense
    // layer on MatMulNBits (at least three blocks)
    const nbits = info.ops["com.microsoft::MatMulNBits"] ?? 0;
    assert.ok(nbits >= 4, JSON.stringify(info.ops));
    assert.equal(info.ops["QLinearConv"] ?? 0, nbits, JSON.stringify(info.ops));
    assert.equal(info.ops["Conv"] ?? 0, 0);
    assert.equal(info.ops["MatMul"] ?? 0, 0);
    const w4 = info.weightsByBits[4] ?? 0;
    const w32 = info.weightsByBits[32] ?? 0;
    assert.ok(w4 > 0.5 * (w4 + (info.weightsByBits[8] ?? 0)), JSON.stringify(info.weightsByBits));
    assert.ok(w32 < w4, `float weights ${w32} should be only scales/biases`);
    const size = (await Deno.stat(path)).size;
    assert.ok(size <= 25_000, `4-bit model is ${size} bytes (target <= 25 KB)`);

    // What onnxruntime actually runs after optimization.
    const optimized = await Deno.makeTempFile({ suffix: ".onnx" });
    try {
      const m = await loadModel(path, { optimizedModelPath: optimized });
      await m.session.release();
      const opt = readOnnxInfo(await Deno.readFile(optimized));
      const ops = Object.keys(opt.ops);
      assert.ok(ops.some((o) => o.endsWith("MatMulNBits")), ops.join(","));
      assert.ok(ops.some((o) => o.includes("QLinearConv")), ops.join(","));
      for (const floatOp of ["Conv", "MatMul", "Gemm", "FusedConv", "FusedGemm", "FusedMatMul"]) {
        assert.equal(opt.ops[floatOp] ?? 0, 0, `optimized graph runs float ${floatOp}`);
      }
    } finally {
      await Deno.remove(optimized);
    }
  });

  Deno.test(`wake model ${id}: the int8 file runs integer kernels end to end`, async () => {
    const optimized = await Deno.makeTempFile({ suffix: ".onnx" });
    const blocks = (readOnnxInfo(await Deno.readFile(`${dir}${id}.onnx`))
      .ops["com.microsoft::MatMulNBits"] ?? 0) - 1;
    try {
      const m = await loadModel(`${dir}${id}.int8.onnx`, { optimizedModelPath: optimized });
      await m.session.release();
      const opt = readOnnxInfo(await Deno.readFile(optimized));
      const qconv = Object.entries(opt.ops).filter(([k]) => k.endsWith("QLinearConv"));
      assert.ok(blocks >= 3);
      assert.equal(qconv.reduce((a, [, n]) => a + n, 0), 2 * blocks + 1, JSON.stringify(opt.ops));
      assert.equal(opt.ops["QLinearMatMul"], 1);
      assert.equal((opt.ops["Conv"] ?? 0) + (opt.ops["FusedConv"] ?? 0), 0);
      assert.equal(opt.weightsByBits[4] ?? 0, 0);
    } finally {
      await Deno.remove(optimized);
    }
  });
}

Deno.test("wake model: a missing file and a wrong file give errors naming them", async () => {
  await assert.rejects(() => loadModel(`${dir}does_not_exist.onnx`), /does_not_exist\.onnx/);
  const bogus = await Deno.makeTempFile({ suffix: ".onnx" });
  try {
    await Deno.writeTextFile(bogus, "not a model");
    await assert.rejects(() => loadModel(bogus), new RegExp(bogus.replaceAll(".", "\\.")));
  } finally {
    await Deno.remove(bogus);
  }
});
