/**
 * The recognizer stage end to end: real Silero VAD, real MFCC front end, the
 * shipped INT8 ONNX model and the grammar of the example device registry, on
 * audio synthesized by flite's slt voice (a voice held out from training).
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import type { EarshotEvent, TranscriptEvent } from "../../core/events.ts";
import type { AnalysisFrame, FrameStage } from "../../pipeline/frame.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { createRecognizer } from "../../asr/recognizer.ts";
import { AcousticModel } from "../../asr/acoustic.ts";
import { loadRegistry } from "../../home/registry.ts";
import { buildCommandGrammar } from "../../intent/index.ts";
import { decodeWav, encodeWav } from "../../audio/wav.ts";
import { resample } from "../../audio/resample.ts";

const vad = await SileroModel.load();
const registry = await loadRegistry("devices/example.devices.json");
const grammar = buildCommandGrammar(registry);

/**
 * TTS rendering of the text parts (numbers are seconds of silence) at 16 kHz with a -60 dBFS
 * noise floor. Voices are held out from training: "slt" (flite) or an espeak-ng voice such
 * as "en-gb-x-rp+f2".
 */
async function say(parts: (string | number)[], voice = "slt"): Promise<Uint8Array> {
  const chunks: Float32Array[] = [];
  for (const p of parts) {
    if (typeof p === "number") {
      chunks.push(new Float32Array(Math.round(p * 16000)));
      continue;
    }
    const tmp = await Deno.makeTempFile({ suffix: ".wav" });
    try {
      const res = voice === "slt"
        ? await new Deno.Command("flite", { args: ["-voice", "slt", "-t", p, "-o", tmp] }).output()
        : await new Deno.Command("espeak-ng", { args: ["-v", voice, "-w", tmp, p] }).output();
      assert.ok(res.success, `${voice} TTS failed`);
      const w = decodeWav(await Deno.readFile(tmp));
      chunks.push(resample(w.samples, w.sampleRate, 16000));
    } finally {
      await Deno.remove(tmp);
    }
  }
  const n = chunks.reduce((a, c) => a + c.length, 0);
  const x = new Float32Array(n);
  let off = 0;
  for (const c of chunks) {
    x.set(c, off);
    off += c.length;
  }
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] += ((s / 4294967296) * 2 - 1) * 0.001;
  }
  return encodeWav(x, 16000);
}

/** A stand-in for the wake stage: emits a wake event at stream time `at`. */
function wakeAt(bus: EventBus, at: number): FrameStage {
  let fired = false;
  return {
    onFrame(f: AnalysisFrame) {
      if (!fired && f.t >= at) {
        fired = true;
        bus.emit({
          type: "wake",
          t: f.t,
          model: "test",
          phrase: "hey computer",
          score: 1,
          sample: f.sample,
        });
      }
    },
  };
}

async function transcripts(
  wav: Uint8Array,
  asr: Record<string, unknown>,
  wake?: number,
): Promise<{ events: EarshotEvent[]; transcripts: TranscriptEvent[] }> {
  const config = parseConfig({ asr });
  const events = await runAudio(wav, config, {
    vad,
    makeStages: async (bus) => {
      const { recognizer } = await createRecognizer(grammar, config.asr);
      return wake === undefined ? [recognizer] : [wakeAt(bus, wake), recognizer];
    },
  });
  return {
    events,
    transcripts: events.filter((e): e is TranscriptEvent => e.type === "transcript"),
  };
}

Deno.test("after a wake event, the command is transcribed and committed early", async () => {
  const wav = await Deno.readFile("assets/demo.wav");
  const { transcripts: ts, events } = await transcripts(wav, { trigger: "wake" }, 1.6);
  assert.equal(ts.length, 1, JSON.stringify(events.filter((e) => e.type !== "level")));
  const t = ts[0];
  assert.equal(t.text, "turn on the kitchen light");
  assert.equal(t.rejected, false);
  assert.ok(t.confidence >= 0.5, `confidence ${t.confidence}`);
  assert.ok(t.start > 1.6 && t.start < t.end, `start ${t.start} end ${t.end}`);
  // Early commit: well before the VAD's 300 ms hangover would end the segment.
  assert.ok(t.t - t.end <= 0.3, `committed ${Math.round((t.t - t.end) * 1000)} ms after speech`);
  assert.ok(t.decodeMs > 0);
});

// flite slt is the weakest held-out voice (docs/asr_eval.md: ~4% of its sentences right);
// the wake test above uses it, this one a held-out espeak-ng voice (93%).
Deno.test("VAD-triggered commands from the example registry, held-out voice", async () => {
  const sentences = [
    "turn off the floor lamp",
    "set the kitchen light to fifty percent",
    "close the living room blinds",
  ];
  const wav = await say(
    [0.6, sentences[0], 1.2, sentences[1], 1.2, sentences[2], 1.0],
    "en-gb-x-rp+f2",
  );
  const { transcripts: ts } = await transcripts(wav, { trigger: "vad" });
  assert.deepEqual(ts.map((t) => t.text), sentences);
  for (const t of ts) assert.equal(t.rejected, false, `${t.text}: ${t.confidence}`);
});

Deno.test("out-of-grammar speech is rejected", async () => {
  const wav = await say([0.6, "please enter your password followed by the pound key", 1.0]);
  const { transcripts: ts } = await transcripts(wav, { trigger: "vad" });
  assert.ok(ts.length >= 1);
  for (const t of ts) assert.equal(t.rejected, true, `"${t.text}" accepted at ${t.confidence}`);
});

Deno.test("no speech after the wake event: nothing is transcribed (listen timeout)", async () => {
  const wav = await say([4.0]);
  const { transcripts: ts } = await transcripts(
    wav,
    { trigger: "wake", listenTimeoutMs: 1000 },
    0.5,
  );
  assert.deepEqual(ts, []);
});

Deno.test("an utterance longer than maxUtteranceMs is cut there", async () => {
  const wav = await say([0.5, "turn on the kitchen light and then turn off the floor lamp and", 1]);
  const { transcripts: ts } = await transcripts(wav, { trigger: "vad", maxUtteranceMs: 1200 });
  assert.ok(ts.length >= 1);
  const first = ts[0];
  assert.ok(first.t - first.start <= 1.25, `cut after ${first.t - first.start} s`);
});

Deno.test("bad model files give errors naming the file", async () => {
  await assert.rejects(
    () => AcousticModel.load("models/asr/nope.onnx"),
    /nope.onnx: model file not found/,
  );
  // Another project's ONNX model (a plain MatMul fixture) is not an ASR model.
  await assert.rejects(
    () => AcousticModel.load("tests/fixtures/onnx/fp32.onnx"),
    /fp32.onnx: not an earshot ASR model/,
  );
  await assert.rejects(
    () => AcousticModel.load("models/asr/asr_int8.onnx", { chunkFrames: 3 }),
    /chunkFrames must be an even integer/,
  );
});

Deno.test("a model card with a bad decoder setting is an error naming the card and field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile("models/asr/asr_int8.onnx", `${dir}/m.onnx`);
    await Deno.writeTextFile(`${dir}/m.json`, JSON.stringify({ decoder: { phoneBonus: "big" } }));
    const config = parseConfig({ asr: { model: `${dir}/m.onnx` } });
    await assert.rejects(
      () => createRecognizer(grammar, config.asr),
      /m\.json: decoder\.phoneBonus must be a number, got "big"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recognizers share the acoustic session and the graph; each decodes on its own stream", async () => {
  const config = parseConfig({});
  const a = await createRecognizer(grammar, config.asr);
  const b = await createRecognizer(grammar, config.asr);
  assert.equal(a.recognizer.model, b.recognizer.model, "one acoustic model session");
  assert.equal(a.recognizer.graph, b.recognizer.graph, "one decoding graph per grammar");
  const other = buildCommandGrammar(
    await loadRegistry("tests/fixtures/phrasing/home.devices.json"),
  );
  const c = await createRecognizer(other, config.asr);
  assert.equal(c.recognizer.model, a.recognizer.model);
  assert.notEqual(c.recognizer.graph, a.recognizer.graph, "another grammar, another graph");
  for (const r of [a, b, c]) r.recognizer.close();
  // Two utterances decoded at once on the shared session give what each gives alone.
  const one = await say([0.5, "turn on the kitchen light", 1]);
  const two = await say([0.5, "close the garage door", 1], "en-gb-x-rp+f2");
  const alone = [
    (await transcripts(one, {}, 0.3)).transcripts,
    (await transcripts(two, {}, 0.3))
      .transcripts,
  ].map((ts) => ts.map((t) => t.text));
  const together = await Promise.all([transcripts(one, {}, 0.3), transcripts(two, {}, 0.3)]);
  assert.deepEqual(together.map((r) => r.transcripts.map((t) => t.text)), alone);
  assert.deepEqual(alone, [["turn on the kitchen light"], ["close the garage door"]]);
});
