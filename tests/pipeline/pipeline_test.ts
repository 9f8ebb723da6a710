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
