/**
 * One Silero model, many streams: runs that share the loaded VAD model keep their own recurrent
 * state, so two concurrent runs on assets/demo.wav find the same speech starts and ends as one
 * run alone, and a run started while another is halfway does not move the first one's.
 * (Sharing one state object moved the first speech start from sample 17408 to 16896 and 16384.)
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../core/config.ts";
import type { EarshotEvent, VadEvent } from "../../core/events.ts";
import { EventBus } from "../../core/bus.ts";
import { Pipeline, runAudio } from "../../pipeline/pipeline.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { decodeWav } from "../../audio/wav.ts";

const DEMO = await Deno.readFile(new URL("../../assets/demo.wav", import.meta.url));
const config = parseConfig({ asr: { trigger: "vad" } });
const vad = await SileroModel.load();

const speech = (events: EarshotEvent[]) =>
  events.filter((e): e is VadEvent => e.type === "vad").map((e) => `${e.state}@${e.sample}`);

Deno.test("shared VAD model: two concurrent runs find the speech of one run alone", async () => {
  const alone = speech(await runAudio(DEMO, config, { vad, chunk: 512 }));
  assert.ok(alone.includes("start@17408"), alone.join(" "));
  const [a, b] = await Promise.all([
    runAudio(DEMO, config, { vad, chunk: 512 }),
    runAudio(DEMO, config, { vad, chunk: 480 }),
  ]);
  assert.deepEqual(speech(a), alone);
  assert.deepEqual(speech(b), alone);
});

Deno.test("shared VAD model: an upload interleaved with the live stream changes neither", async () => {
  const alone = speech(await runAudio(DEMO, config, { vad }));
  const samples = decodeWav(DEMO, { name: "demo.wav" }).samples;
  // The upload is the demo 16 VAD chunks (0.512 s) later: never in the same state as the live one.
  const shift = 16 * 512;
  const later = new Float32Array(samples.length + shift);
  later.set(samples, shift);
  const open = async (x: Float32Array) => {
    const events: EarshotEvent[] = [];
    const bus = new EventBus();
    bus.on((e) => events.push(e));
    return { x, events, p: await Pipeline.create(config, bus, { vad }) };
  };
  const live = await open(samples);
  const upload = await open(later);
  for (let i = 0; i < later.length; i += 1600) {
    for (const s of [live, upload]) {
      if (i < s.x.length) await s.p.push(s.x.subarray(i, Math.min(s.x.length, i + 1600)));
    }
  }
  for (const s of [live, upload]) {
    await s.p.end();
    await s.p.close();
  }
  assert.deepEqual(speech(live.events), alone);
  const shifted = alone.map((v) => v.replace(/\d+$/, (n) => String(Number(n) + shift)));
  assert.deepEqual(speech(upload.events), shifted);
});
