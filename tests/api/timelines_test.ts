/**
 * Live audio and uploads keep their own timelines (core/events.ts `stream`, `at`): the real
 * pipeline plays assets/demo.wav as the live source on the assistant's bus, then the same
 * recording padded to 12 s is uploaded through the real audio runner, then a command is typed.
 * The upload's events carry `stream: "upload"` and its session; the live ones neither; every
 * event has its wall-clock `at`; and the typed command's stream time is the live source's
 * (about 5 s), not the upload's 12 s (the devices runtime tracks the live time only).
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { decodeWav, encodeWav } from "../../audio/wav.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { createStages } from "../../app/stages.ts";
import type { AudioOutcome, CommandOutcome } from "../../api/app.ts";
import { DEMO_WAV, MQTT_TEST, pipelineServices, testConfig } from "./wiring.ts";

Deno.test(
  "an upload's stream times never move the live timeline; typed commands stay on it",
  MQTT_TEST,
  async () => {
    const bus = new EventBus({ clock: Date.now });
    const config = testConfig();
    const services = await pipelineServices(config, bus);
    const seen: EarshotEvent[] = [];
    bus.on((e) => seen.push(e));
    try {
      const demo = await Deno.readFile(DEMO_WAV);
      const live = await runAudio(demo, config, {
        bus,
        vad: services.vad,
        makeStages: (b) => createStages(config, b, { grammar: services.devices.grammar() }),
      });
      const liveEnd = Math.max(...live.map((e) => e.t));
      assert.ok(liveEnd > 4 && liveEnd < 6, `live source ends at ${liveEnd} s`);
      // The live pipeline's own events (the commands it causes get the runtime's session ids).
      const audio = live.filter((e) =>
        ["source", "vad", "level", "wake", "transcript"].includes(e.type)
      );
      assert.ok(audio.length > 40 && audio.every((e) => e.stream === undefined && !e.session));

      const wav = decodeWav(demo);
      const padded = new Float32Array(12 * wav.sampleRate);
      padded.set(wav.samples);
      const upload = await services.runAudio!(encodeWav(padded, wav.sampleRate)) as AudioOutcome;
      const own = upload.events.filter((e) => e.stream === "upload");
      assert.ok(own.length > 100, `${own.length} upload events`);
      assert.ok(own.every((e) => e.session === upload.session));
      assert.ok(Math.max(...own.map((e) => e.t)) > 11.5, "the upload's own timeline runs to 12 s");
      assert.ok(own.some((e) => e.type === "wake") && own.some((e) => e.type === "transcript"));
      // The command its transcript caused carries its session (not `stream`: the devices runtime
      // emits it) and the transcript's end of speech on the upload's timeline.
      const intent = upload.events.find((e) => e.type === "intent" && e.session === upload.session);
      const transcript = own.find((e) => e.type === "transcript");
      assert.ok(intent && transcript?.type === "transcript", "the upload's intent and transcript");
      assert.ok(
        intent.t >= transcript.start && intent.t <= transcript.t,
        `intent at ${intent.t} s, utterance ${transcript.start}..${transcript.t} s`,
      );

      const typed = await services.runText!("turn off the kitchen light") as CommandOutcome;
      const typedIntent = typed.events.find((e) => e.type === "intent")!;
      assert.ok(typedIntent.t <= liveEnd, `typed command at ${typedIntent.t} s, live ${liveEnd} s`);
      assert.equal(typedIntent.stream, undefined);

      // Every event on the assistant's bus has its wall-clock time, in emission order.
      const ats = seen.map((e) => e.at!);
      for (const at of ats) assert.match(at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(ats, [...ats].sort());
    } finally {
      await services.close();
    }
  },
);
