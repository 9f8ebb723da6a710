/**
 * ASR latency, fp32 vs INT8 (one intra-op thread, as on the Pi):
 *
 *   deno bench --allow-read --allow-env --allow-ffi=./node_modules --allow-sys bench/asr_bench.ts
 *
 * - "chunk": one streaming run of 80 ms of audio with state (8 hops: 8 MFCC frames, or for the
 *   shipped speech-embedding model 1280 samples, whose mel the stream computes on 20 ms steps);
 * - "utterance": 3 s of audio (300 hops) in one run;
 * - the previous MFCC model (models/asr/mfcc/) in the same groups, for comparison;
 * - "decoder": grammar-constrained beam search over 150 frames of a real
 *   command grammar (example registry).
 * Each group's baseline is fp32, so `deno bench` prints the INT8 speed-up.
 * @module
 */
import { AcousticModel } from "../asr/acoustic.ts";
import { CtcGrammarDecoder } from "../asr/decoder.ts";
import { buildGraph } from "../asr/graph.ts";
import { buildLexicon } from "../asr/lexicon.ts";
import { grammarWords } from "../core/grammar.ts";
import { NUM_LABELS } from "../core/phones.ts";
import { loadRegistry } from "../home/registry.ts";
import { buildCommandGrammar } from "../intent/index.ts";

const MODELS = {
  fp32: "models/asr/asr_fp32.onnx",
  int8: "models/asr/asr_int8.onnx",
  "mfcc int8": "models/asr/mfcc/asr_int8.onnx",
};

/** n hops of input for `model`: MFCC-like vectors, or 160 samples of a vowel-like signal. */
function frames(model: AcousticModel, n: number, seed: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let t = 0; t < n; t++) {
    out.push(
      model.input === "audio"
        ? new Float32Array(160).map((_, i) =>
          0.1 * Math.sin(
              2 * Math.PI * (150 + 40 * Math.sin(0.05 * t + seed)) * (t * 160 + i) /
                16000,
            ) + 0.05 * Math.sin(2 * Math.PI * 1200 * (t * 160 + i) / 16000)
        )
        : new Float32Array(13).map((_, i) =>
          (i === 0 ? 40 : 0) + 8 * Math.sin(0.37 * t * (i + 1) + seed)
        ),
    );
  }
  return out;
}

for (const [name, path] of Object.entries(MODELS)) {
  const loaded = await AcousticModel.load(path, { chunkFrames: 8 });
  const chunkModel = loaded.stream();
  const uttModel = (await AcousticModel.load(path, { chunkFrames: 300 })).stream();
  const chunk = frames(loaded, 8, 1);
  const utt = frames(loaded, 300, 2);
  await chunkModel.reset();
  Deno.bench(
    { name: `asr ${name} chunk (8 frames)`, group: "chunk", baseline: name === "fp32" },
    async () => {
      for (const f of chunk) await chunkModel.push(f);
    },
  );
  Deno.bench({
    name: `asr ${name} utterance (300 frames)`,
    group: "utterance",
    baseline: name === "fp32",
  }, async () => {
    await uttModel.reset();
    for (const f of utt) await uttModel.push(f);
  });
}

const registry = await loadRegistry("devices/example.devices.json");
const grammar = buildCommandGrammar(registry);
const { lexicon } = await buildLexicon(grammarWords(grammar));
const graph = buildGraph(grammar, lexicon);
const lp = new Float32Array(150 * NUM_LABELS);
for (let t = 0; t < 150; t++) {
  const hot = t % 3 === 0 ? 0 : 1 + ((t * 7) % 39);
  for (let k = 0; k < NUM_LABELS; k++) {
    lp[t * NUM_LABELS + k] = Math.log(k === hot ? 0.6 : 0.4 / 39);
  }
}
for (const beamWidth of [16, 64, 192]) {
  Deno.bench({
    name: `decoder beam ${beamWidth}, 150 frames (3 s)`,
    group: "decoder",
    baseline: beamWidth === 64,
  }, () => {
    const dec = new CtcGrammarDecoder(graph, { beamWidth, phoneBonus: 2 });
    dec.push(lp);
    dec.result();
  });
}
