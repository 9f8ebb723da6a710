import assert from "node:assert/strict";
import { Pipeline, runAudio } from "../../pipeline/pipeline.ts";
import { EventBus } from "../../core/bus.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { parseConfig } from "../../core/config.ts";
import type { AnalysisFrame, FrameStage } from "../../pipeline/frame.ts";
import { decodeWav } from "../../audio/wav.ts";
import { SileroModel } from "../../pipeline/vad.ts";

const DEMO = await Deno.readFile(new URL("../../assets/demo.wav", import.meta.url));
const config = parseConfig({});
const vad = await SileroModel.load();

Deno.test("runs are deterministic and independent of how the audio is chunked", async () => {
  const a = await runAudio(DEMO, config, { vad, chunk: 1600 });
  const b = await runAudio(DEMO, config, { vad, chunk: 1 + 160 * 3 });
  const c = await runAudio(DEMO, config, { vad, chunk: 16000 });
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
  assert.ok(a.some((e) => e.type === "vad"));
});

Deno.test("stages see every 10 ms frame in order, with stream time and MFCC", async () => {
  const frames: Pick<AnalysisFrame, "sample" | "t" | "speech">[] = [];
  let flushed = -1;
  let closed = false;
  const stage: FrameStage = {
    onFrame(f) {
      assert.equal(f.mfcc.length, 13);
      assert.equal(f.hop.length, 160);
      frames.push({ sample: f.sample, t: f.t, speech: f.speech });
    },
    flush(t) {
      flushed = t;
    },
    close() {
      closed = true;
    },
  };
  const samples = decodeWav(DEMO).samples;
  await runAudio(DEMO, config, { vad, makeStages: () => [stage] });
  assert.equal(frames.length, Math.floor(samples.length / 160));
  frames.forEach((f, i) => {
    assert.equal(f.sample, i * 160);
    assert.equal(f.t, ((i + 1) * 160) / 16000);
  });
  assert.ok(frames.some((f) => f.speech) && frames.some((f) => !f.speech));
  assert.equal(flushed, (frames.length * 160) / 16000);
  assert.ok(closed);
});

Deno.test("level events come every 100 ms and a stream ending in speech closes it", async () => {
  const bus = new EventBus();
  const events: EarshotEvent[] = [];
  bus.on((e) => events.push(e));
  const p = await Pipeline.create(config, bus, { vad });
  const samples = decodeWav(DEMO).samples;
  await p.push(samples.subarray(0, 16000 * 3)); // cut inside the command
  await p.end();
  const levels = events.filter((e) => e.type === "level");
  assert.equal(levels.length, 30);
  assert.equal(levels[0].t, 0.1);
  const last = events.filter((e) => e.type === "vad").at(-1)!;
  assert.equal(last.type, "vad");
  assert.equal(last.state, "end");
  assert.equal(last.t, 3);
  assert.ok(p.realTimeFactor > 0 && p.realTimeFactor < 1);
});

Deno.test("a bad upload is refused with its name", async () => {
  await assert.rejects(
    runAudio(new TextEncoder().encode("nope"), config, { name: "upload.wav" }),
    /upload\.wav: not a WAV file/,
  );
});

Deno.test("stages return results: the pipeline emits them, hands wake and vad events to stages", async () => {
  // A stand-in wake stage returns a wake word at 1.5 s; a second stage records what the
  // pipeline hands it and returns a transcript 0.5 s later and one more at the end of stream.
  const handed: string[] = [];
  const heardBefore: string[] = [];
  let woke = false;
  const wake: FrameStage = {
    onFrame(f) {
      if (woke || f.t < 1.5) return;
      woke = true;
      return {
        wake: { type: "wake", t: f.t, model: "m", phrase: "p", score: 0.9, sample: f.sample },
      };
    },
  };
  let wakeAt = -1;
  const listener: FrameStage = {
    onEvent(e) {
      handed.push(e.type === "vad" ? `vad:${e.state}` : `wake:${e.model}`);
      if (e.type === "wake") wakeAt = e.t;
    },
    onFrame(f) {
      if (wakeAt >= 0 && f.t >= wakeAt + 0.5) {
        wakeAt = -1;
        heardBefore.push(...handed);
        return { transcript: transcriptAt(f.t, "one") };
      }
    },
    flush(t) {
      return { transcript: transcriptAt(t, "two") };
    },
  };
  const events = await runAudio(DEMO, config, { vad, makeStages: () => [wake, listener] });
  const shown = events.map((e) =>
    e.type === "transcript"
      ? `transcript:${e.text}`
      : e.type === "wake"
      ? "wake"
      : e.type === "vad"
      ? `vad:${e.state}`
      : ""
  ).filter((s) => s);
  assert.deepEqual(shown.filter((s) => !s.startsWith("vad")), [
    "wake",
    "transcript:one",
    "transcript:two",
  ]);
  // Every vad event on the bus and the wake word were handed to the stage, in bus order.
  assert.deepEqual(
    handed,
    shown.filter((s) => s.startsWith("vad") || s === "wake").map((s) =>
      s === "wake" ? "wake:m" : s
    ),
  );
  assert.ok(heardBefore.includes("wake:m"));
});

function transcriptAt(t: number, text: string) {
  return {
    type: "transcript" as const,
    t,
    text,
    confidence: 1,
    start: t,
    end: t,
    decodeMs: 0,
    alternatives: [],
    rejected: false,
  };
}

Deno.test("level events carry the live scores of scoring stages, rounded", async () => {
  const scoring: FrameStage & { scores: Record<string, number> } = {
    scores: { hey_test: 0.123456 },
    onFrame() {},
  };
  const plain: FrameStage = { onFrame() {} };
  const events = await runAudio(DEMO, config, { vad, makeStages: () => [plain, scoring] });
  const levels = events.filter((e) => e.type === "level");
  assert.ok(levels.length > 10);
  for (const l of levels) assert.deepEqual(l.wake, { hey_test: 0.123 });
});
