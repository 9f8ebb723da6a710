import assert from "node:assert/strict";
import { checkFeeds, describeModel, loadModel, ModelError, ort } from "../../core/ort.ts";
import { readOnnxInfo } from "../../core/onnx_info.ts";
import { defaultVadModelPath } from "../../pipeline/vad.ts";
import { tempDir } from "../helpers/audio.ts";

const FIX = new URL("../fixtures/onnx/", import.meta.url).pathname;
const expected = JSON.parse(await Deno.readTextFile(`${FIX}expected.json`));
const x = () => new ort.Tensor("float32", Float32Array.from(expected.x), [1, 16]);

Deno.test("fixtures run in onnxruntime and match the reference outputs at each bit width", async (t) => {
  for (const name of ["fp32", "int8", "nbits", "int4"]) {
    await t.step(name, async () => {
      const m = await loadModel(`${FIX}${name}.onnx`);
      const y = (await m.run({ x: x() })).y.data as Float32Array;
      assert.equal(y.length, 8);
      // onnxruntime fuses INT4 DequantizeLinear + MatMul into MatMulNBits with
      // accuracy_level 4, which quantizes the activations to int8: ~1% error.
      const tol = name === "int4" ? 0.03 : 1e-4;
      for (let i = 0; i < 8; i++) {
        assert.ok(
          Math.abs(y[i] - expected[name][i]) < tol,
          `${name}[${i}] ${y[i]} vs ${expected[name][i]}`,
        );
      }
    });
  }
});

Deno.test("bit-width report: weights counted at their storage width", async () => {
  const bits = async (name: string) =>
    readOnnxInfo(await Deno.readFile(`${FIX}${name}.onnx`)).weightsByBits;
  assert.deepEqual(await bits("fp32"), { 32: 128 });
  assert.deepEqual(await bits("int8"), { 8: 129, 32: 1 }); // 128 weights + zero point; scale
  assert.deepEqual(await bits("nbits"), { 4: 128, 32: 8 }); // packed nibbles; per-column scales
  assert.deepEqual(await bits("int4"), { 4: 128, 32: 1 });
  const info = readOnnxInfo(await Deno.readFile(`${FIX}nbits.onnx`));
  assert.equal(info.ops["com.microsoft::MatMulNBits"], 1);
  assert.equal(info.opsets["com.microsoft"], 1);
  assert.equal(info.producer, "earshot-fixtures");
  const int4 = readOnnxInfo(await Deno.readFile(`${FIX}int4.onnx`));
  assert.equal(int4.irVersion, 10);
  assert.equal(int4.opsets["ai.onnx"], 21);
});

Deno.test("describeModel reports inputs, opsets and bits of the Silero VAD", async () => {
  const d = describeModel(await loadModel(defaultVadModelPath()));
  assert.deepEqual(d.inputs.map((i) => i.name).sort(), ["input", "sr", "state"]);
  assert.equal(d.opsets["ai.onnx"], 18);
  assert.ok(d.weightsByBits[32] > 100000);
  assert.ok(d.sizeBytes > 1e6);
});

Deno.test("missing file, corrupt file and non-ONNX file give errors naming the file", async () => {
  await using dir = await tempDir();
  await assert.rejects(loadModel(`${dir.path}/none.onnx`), (e: Error) => {
    assert.ok(e instanceof ModelError);
    assert.match(e.message, /none\.onnx: model file not found/);
    return true;
  });
  await Deno.writeTextFile(`${dir.path}/text.onnx`, "this is not a model at all");
  await assert.rejects(
    loadModel(`${dir.path}/text.onnx`),
    /text\.onnx: corrupt or not an ONNX model/,
  );
  const good = await Deno.readFile(`${FIX}fp32.onnx`);
  await Deno.writeFile(`${dir.path}/cut.onnx`, good.subarray(0, good.length - 40));
  await assert.rejects(
    loadModel(`${dir.path}/cut.onnx`),
    /cut\.onnx: (corrupt|onnxruntime cannot load)/,
  );
});

Deno.test("wrong input shape, type or name is refused before onnxruntime sees it", async () => {
  const m = await loadModel(`${FIX}fp32.onnx`);
  await assert.rejects(
    m.run({ x: new ort.Tensor("float32", new Float32Array(8), [1, 8]) }),
    /fp32\.onnx: input "x" has shape \[1,8\], expected \[1,16\]/,
  );
  await assert.rejects(m.run({}), /missing input "x"/);
  await assert.rejects(
    m.run({ x: new ort.Tensor("int32", new Int32Array(16), [1, 16]) }),
    /has type int32, expected float32/,
  );
  const problem = checkFeeds(m.inputs, { x: x(), extra: x() });
  assert.match(problem!, /unknown input "extra"/);
});

Deno.test("the optimized graph shows the low-bit and integer kernels onnxruntime runs", async () => {
  await using dir = await tempDir();
  const kernels: Record<string, string> = {
    nbits: "com.microsoft::MatMulNBits",
    int4: "com.microsoft::MatMulNBits", // DequantizeLinear(int4) + MatMul fused, not folded to fp32
    int8: "com.microsoft::DynamicQuantizeMatMul",
  };
  for (const [name, op] of Object.entries(kernels)) {
    const path = `${dir.path}/${name}.opt.onnx`;
    await loadModel(`${FIX}${name}.onnx`, { optimizedModelPath: path });
    const info = readOnnxInfo(await Deno.readFile(path));
    assert.deepEqual(info.ops, { [op]: 1 }, `${name}: ${JSON.stringify(info.ops)}`);
    assert.ok(
      !info.weightsByBits[32] || info.weightsByBits[32] < 16,
      `${name} kept low-bit weights`,
    );
  }
});
