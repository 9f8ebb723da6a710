/**
 * Model descriptions read the real ONNX files: size, weights per bit width,
 * thresholds in effect; a missing or broken file is reported, not thrown.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../core/config.ts";
import { modelDefaults } from "../../app/stages.ts";
import { describeModelFile, describeModels, modelCache } from "../../api/models.ts";

const FIX = "tests/fixtures/onnx";

Deno.test("describeModels: the VAD from npm, fixture models by bit width, a missing file", async () => {
  const config = parseConfig({
    wake: {
      threshold: 0.7,
      models: [
        { id: "int4_kws", path: `${FIX}/int4.onnx`, threshold: 0.55 },
        { id: "int8_kws", path: `${FIX}/int8.onnx` },
        { id: "gone", path: "models/wake/does_not_exist.onnx" },
      ],
    },
    asr: { model: `${FIX}/nbits.onnx`, confidenceThreshold: 0.4 },
  });
  const models = await describeModels(config, modelDefaults());
  assert.deepEqual(models.map((m) => [m.id, m.kind]), [
    ["vad", "vad"],
    ["int4_kws", "wake"],
    ["int8_kws", "wake"],
    ["gone", "wake"],
    ["asr", "asr"],
  ]);
  const [vad, int4, int8, gone, asr] = models;
  assert.match(vad.file, /silero_vad.*\.onnx$/);
  assert.ok(vad.sizeBytes! > 1_000_000);
  assert.ok(vad.bitWidths!["32"] > 100_000);
  assert.deepEqual(vad.thresholds, { speech: 0.5, silence: 0.35, energyGateDb: -55 });
  assert.equal(int4.file, `${FIX}/int4.onnx`);
  assert.equal(int4.sizeBytes, (await Deno.stat(`${FIX}/int4.onnx`)).size);
  assert.ok(int4.bitWidths!["4"] > 0, JSON.stringify(int4.bitWidths));
  assert.deepEqual(int4.thresholds, { wake: 0.55 });
  assert.equal(int4.phrase, "int4 kws");
  assert.ok(int8.bitWidths!["8"] > 0, JSON.stringify(int8.bitWidths));
  assert.deepEqual(int8.thresholds, { wake: 0.7 });
  assert.equal(gone.sizeBytes, null);
  assert.equal(gone.error, "file not found");
  assert.ok(asr.bitWidths!["4"] > 0, JSON.stringify(asr.bitWidths));
  assert.deepEqual(asr.thresholds, { confidence: 0.4 });
});

Deno.test("describeModelFile reports a file that is not ONNX", async () => {
  const dir = await Deno.makeTempDir({ prefix: "earshot-models-" });
  try {
    await Deno.writeTextFile(`${dir}/bad.onnx`, "this is not protobuf at all");
    const m = await describeModelFile(`${dir}/bad.onnx`, { id: "bad", kind: "wake" });
    assert.equal(m.sizeBytes, 27);
    assert.match(m.error!, /^not a readable ONNX model: /);
    assert.equal(m.bitWidths, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("model reports are parsed once and re-read only when the file changes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "earshot-models-" });
  try {
    const path = `${dir}/m.onnx`;
    await Deno.copyFile(`${FIX}/int8.onnx`, path);
    const before = { ...modelCache };
    const first = await describeModelFile(path, { id: "m", kind: "wake" });
    for (let i = 0; i < 50; i++) {
      assert.deepEqual(await describeModelFile(path, { id: "m", kind: "wake" }), first);
    }
    assert.equal(modelCache.reads - before.reads, 1, "one read for 51 reports");
    assert.equal(modelCache.hits - before.hits, 50);
    // Replaced by another model: the next report reads the new file.
    await Deno.copyFile(`${FIX}/int4.onnx`, path);
    const st = await Deno.stat(path);
    await Deno.utime(path, st.atime!, new Date(st.mtime!.getTime() + 5000));
    const second = await describeModelFile(path, { id: "m", kind: "wake" });
    assert.equal(modelCache.reads - before.reads, 2);
    assert.ok(second.bitWidths!["4"] > 0, JSON.stringify(second.bitWidths));
    await Deno.remove(path);
    assert.equal(
      (await describeModelFile(path, { id: "m", kind: "wake" })).error,
      "file not found",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
